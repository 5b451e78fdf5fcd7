import { describe, expect, it } from 'vitest';
import { LogRing } from '../../src/supervisor/log-ring.js';

describe('LogRing', () => {
  it('keeps the stream of every chunk: entries give each line with it, tail gives the lines', () => {
    const ring = new LogRing();
    ring.add(Buffer.from('a\nb\n'), 'stdout');
    ring.add(Buffer.from('oops\n'), 'stderr');
    ring.add(Buffer.from('c\n'));
    expect(ring.entries()).toEqual([
      { stream: 'stdout', line: 'a' },
      { stream: 'stdout', line: 'b' },
      { stream: 'stderr', line: 'oops' },
      { stream: 'stdout', line: 'c' },
    ]);
    expect(ring.entries(2)).toEqual([
      { stream: 'stderr', line: 'oops' },
      { stream: 'stdout', line: 'c' },
    ]);
    expect(ring.entries(0)).toEqual([]);
    expect(ring.tail(3)).toEqual(['b', 'oops', 'c']);
  });

  it('drops the oldest chunks with their streams: what is left keeps its own', () => {
    const ring = new LogRing(8);
    ring.add(Buffer.from('out1\n'), 'stdout');
    ring.add(Buffer.from('err1\n'), 'stderr');
    ring.add(Buffer.from('err2\n'), 'stderr');
    ring.add(Buffer.from('out2\n'), 'stdout');
    expect(ring.entries()).toEqual([
      { stream: 'stderr', line: 'err2' },
      { stream: 'stdout', line: 'out2' },
    ]);
  });
});
