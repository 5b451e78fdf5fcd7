import { describe, expect, it } from 'vitest';
import type { InstanceEvent } from '../../src/control/protocol.js';
import { TopModel, type FoundInstance } from '../../src/tui/top-model.js';
import { FakeInstance, lease, service } from './fake-screen.js';

/** An instance that counts the event streams open on it: each one would keep berth top alive. */
class CountedInstance extends FakeInstance {
  open = 0;
  override async events(onEvent: (event: InstanceEvent) => void, signal?: AbortSignal) {
    this.open += 1;
    try {
      await super.events(onEvent, signal);
    } finally {
      this.open -= 1;
    }
  }
}

describe('TopModel', () => {
  it('a refresh still finding instances when the view closes opens no stream after it', async () => {
    const shop = new CountedInstance({ lease: lease('shop', 1, [5000, 5009]), pid: 10, stopping: false, services: [service('api', 11, [5000])] }, {});
    let answer!: (found: FoundInstance[]) => void;
    let calls = 0;
    const model = new TopModel(
      () => {
        calls += 1;
        return calls === 1 ? Promise.resolve([{ lease: shop.snapshot.lease, control: shop }]) : new Promise((resolve) => (answer = resolve));
      },
      () => {},
    );
    await model.refresh();
    expect(shop.open).toBe(1);
    const late = model.refresh(); // the 1 s refresh, its sockets still answering…
    model.close(); // …when q closes the view
    await new Promise(setImmediate);
    expect(shop.open).toBe(0);
    answer([{ lease: shop.snapshot.lease, control: shop }]);
    await late;
    await new Promise(setImmediate);
    expect(shop.open).toBe(0);
  });

  it('a closed model stays closed: refresh finds nothing and follows nothing', async () => {
    const shop = new CountedInstance({ lease: lease('shop', 1, [5000, 5009]), pid: 10, stopping: false, services: [service('api', 11, [5000])] }, {});
    let looked = 0;
    const model = new TopModel(async () => {
      looked += 1;
      return [{ lease: shop.snapshot.lease, control: shop }];
    }, () => {});
    model.close();
    await model.refresh();
    expect(looked).toBe(0);
    expect(shop.open).toBe(0);
  });
});
