/**
 * `${...}` references in cmd, env values, write_env and templates paths, and template content:
 *   ${api.port} ${api.ports.ws} ${self.port} ${self.ports.NAME}
 *   ${instance} ${env} ${project} ${VAR} ${VAR:-default}
 * `$${` is a literal `${`.
 */

/** A reference's `at` is the offset of its `${` in the template. */
export type TemplatePart = { text: string } | { ref: string; at: number };

export interface InterpolationContext {
  project: string;
  env: string;
  instance: number;
  /** The service whose value is being interpolated (`self`). */
  self: string;
  /** Ports of every service of the instance, by service name. */
  services: ReadonlyMap<string, ServicePorts>;
  /** The supervisor's environment, for `${VAR}`. */
  vars: Readonly<Record<string, string | undefined>>;
}

export interface ServicePorts {
  ports: readonly number[];
  /** Port names when the service declared `ports: [http, ws]`. */
  names: readonly string[] | null;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
  /** Offset in the template of the `${` at fault, when known. */
  readonly at: number | null;
  constructor(message: string, at: number | null = null) {
    super(message);
    this.at = at;
  }
}

export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    if (template.startsWith('$${', i)) {
      text += '${';
      i += 3;
    } else if (template.startsWith('${', i)) {
      const end = template.indexOf('}', i + 2);
      if (end === -1) throw new TemplateError(`unclosed "\${" in ${JSON.stringify(template.length > 80 ? `${template.slice(i, i + 40)}…` : template)}`, i);
      if (text) parts.push({ text });
      text = '';
      parts.push({ ref: template.slice(i + 2, end).trim(), at: i });
      i = end + 1;
    } else {
      text += template[i];
      i += 1;
    }
  }
  if (text) parts.push({ text });
  return parts;
}

const VAR_PATTERN = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/** The value of one reference, or a TemplateError saying why it has none. */
export function resolveReference(ref: string, ctx: InterpolationContext): string {
  if (ref === 'instance') return String(ctx.instance);
  if (ref === 'env') return ctx.env;
  if (ref === 'project') return ctx.project;

  const dotted = ref.split('.');
  if (dotted.length >= 2) {
    const [owner = '', field, name, ...rest] = dotted;
    const serviceName = owner === 'self' ? ctx.self : owner;
    const service = ctx.services.get(serviceName);
    if (!service) {
      throw new TemplateError(`unknown reference \${${ref}}: there is no service "${owner}" in environment ${ctx.env}`);
    }
    const label = owner === 'self' ? `${ctx.self} (self)` : owner;
    if (field === 'port' && name === undefined) {
      const port = service.ports[0];
      if (port === undefined) throw new TemplateError(`unknown reference \${${ref}}: service ${label} has no ports`);
      return String(port);
    }
    if (field === 'ports' && name !== undefined && rest.length === 0) {
      const index = service.names?.indexOf(name) ?? -1;
      if (index === -1) {
        const known = service.names?.length ? `its ports are ${service.names.join(', ')}` : 'its ports have no names';
        throw new TemplateError(`unknown reference \${${ref}}: service ${label} has no port named "${name}" (${known})`);
      }
      return String(service.ports[index]);
    }
    throw new TemplateError(`unknown reference \${${ref}}: write \${${owner}.port} or \${${owner}.ports.NAME}`);
  }

  const match = VAR_PATTERN.exec(ref);
  if (!match) throw new TemplateError(`unknown reference \${${ref}}`);
  const value = ctx.vars[match[1] ?? ''];
  if (value !== undefined && value !== '') return value;
  if (match[2] !== undefined) return match[2];
  if (value !== undefined) return value;
  throw new TemplateError(
    `unknown reference \${${ref}}: no service, no built-in (instance, env, project) and no environment variable of that name; write \${${ref}:-default} for an optional variable`,
  );
}

export function interpolate(template: string, ctx: InterpolationContext): string {
  return parseTemplate(template)
    .map((part) => ('text' in part ? part.text : resolveReference(part.ref, ctx)))
    .join('');
}

/** Every error in a template, without stopping at the first. */
export function checkTemplate(template: string, ctx: InterpolationContext): string[] {
  return templateProblems(template, ctx).map((problem) => problem.message);
}

/** Every error in a template with the offset of its `${`, without stopping at the first. */
export function templateProblems(template: string, ctx: InterpolationContext): { message: string; at: number }[] {
  let parts: TemplatePart[];
  try {
    parts = parseTemplate(template);
  } catch (error) {
    return [{ message: (error as Error).message, at: (error as TemplateError).at ?? 0 }];
  }
  const errors: { message: string; at: number }[] = [];
  for (const part of parts) {
    if (!('ref' in part)) continue;
    try {
      resolveReference(part.ref, ctx);
    } catch (error) {
      errors.push({ message: (error as Error).message, at: part.at });
    }
  }
  return errors;
}
