import { didYouMean } from '../did-you-mean.js';
import type { EnvironmentConfig } from '../types.js';
import type { Path } from '../yaml-source.js';
import type { Report } from './report.js';

/** depends_on names services of the same environment, not itself, and has no cycle. */
export function checkDependencies(env: EnvironmentConfig, at: Path, report: Report): void {
  const names = env.services.map((service) => service.name);
  const byName = new Map(env.services.map((service) => [service.name, service]));
  for (const service of env.services) {
    service.dependsOn.forEach((dependency, index) => {
      const where = [...at, 'services', service.name, 'depends_on', index];
      if (dependency === service.name) report(where, `service ${service.name} depends on itself`);
      else if (!byName.has(dependency)) {
        report(where, `service ${service.name} depends on unknown service "${dependency}"${didYouMean(dependency, names)} in environment ${env.name}`);
      }
    });
  }

  // Depth-first search; a grey node met again closes a cycle, reported once at the edge that closes it.
  const state = new Map<string, 'grey' | 'black'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'grey');
    stack.push(name);
    const service = byName.get(name);
    service?.dependsOn.forEach((dependency, index) => {
      if (dependency === name || !byName.has(dependency)) return;
      const seen = state.get(dependency);
      if (seen === 'grey') {
        const cycle = [...stack.slice(stack.indexOf(dependency)), dependency];
        report([...at, 'services', name, 'depends_on', index], `dependency cycle: ${cycle.join(' → ')}`);
      } else if (seen === undefined) {
        visit(dependency);
      }
    });
    stack.pop();
    state.set(name, 'black');
  };
  for (const name of names) if (!state.has(name)) visit(name);
}
