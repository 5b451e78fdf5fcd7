import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineFramer, LinePrefix, prefixLines } from '../../src/supervisor/line-framer.js';
import { LogRing } from '../../src/supervisor/log-ring.js';
import { OutputPump, type OutputStream } from '../../src/supervisor/output-pump.js';

describe('LineFramer', () => {
  it('returns whole lines only, keeping a partial line for later, and flushes it at the end', () => {
    const framer = new LineFramer();
    expect(framer.push(Buffer.from('ab'))).toBeNull();
    expect(framer.push(Buffer.from('c\nde'))?.toString()).toBe('abc\n');
    expect(framer.push(Buffer.from('f\ng\nh'))?.toString()).toBe('def\ng\n');
    expect(framer.end()?.toString()).toBe('h\n');
    expect(framer.end()).toBeNull();
  });

  it('keeps multi-byte characters split across chunks intact', () => {
    const framer = new LineFramer();
    const text = Buffer.from('naïve → ok\n');
    const parts = [framer.push(text.subarray(0, 3)), framer.push(text.subarray(3, 9)), framer.push(text.subarray(9))];
    expect(Buffer.concat(parts.filter((part): part is Buffer => part !== null)).toString()).toBe('naïve → ok\n');
  });

  it('passes a chunk of whole lines through as it is, without a copy', () => {
    const framer = new LineFramer();
    const chunk = Buffer.from('one\ntwo\n');
    const lines = framer.push(chunk);
    expect(lines?.buffer).toBe(chunk.buffer);
    expect(lines?.toString()).toBe('one\ntwo\n');
  });

  it('gives nothing at the end when the output ended with a newline', () => {
    const framer = new LineFramer();
    framer.push(Buffer.from('a\n'));
    expect(framer.end()).toBeNull();
  });
});

describe('prefixLines', () => {
  it('puts the prefix before every line', () => {
    expect(prefixLines(Buffer.from('a\n\nbc\n'), Buffer.from('x │ ')).toString()).toBe('x │ a\nx │ \nx │ bc\n');
  });

  it('carries any bytes unchanged, a multi-byte character split between two chunks included', () => {
    const framer = new LineFramer();
    const prefix = new LinePrefix(Buffer.from('\u001b[36mweb │ \u001b[0m'));
    const text = Buffer.from('naïve → ok\n日本\n\u00ff\u0000\r\n');
    const out: Buffer[] = [];
    for (const cut of [[0, 3], [3, 9], [9, 17], [17, text.length]] as const) {
      const lines = framer.push(text.subarray(...cut));
      if (lines) out.push(prefix.apply(lines));
    }
    expect(Buffer.concat(out).toString()).toBe('\u001b[36mweb │ \u001b[0mnaïve → ok\n\u001b[36mweb │ \u001b[0m日本\n\u001b[36mweb │ \u001b[0m\u00ff\u0000\r\n');
  });

  it('prefixes a last line that had no newline, with the newline added', () => {
    const framer = new LineFramer();
    const prefix = new LinePrefix(Buffer.from('db │ '));
    const first = framer.push(Buffer.from('ready\nbye'));
    const last = framer.end();
    expect(first && last && Buffer.concat([prefix.apply(first), prefix.apply(last)]).toString()).toBe('db │ ready\ndb │ bye\n');
  });

  it('takes `$` in a prefix literally', () => {
    expect(prefixLines(Buffer.from('a\nb\n'), Buffer.from("$&$'$$ ")).toString()).toBe("$&$'$$ a\n$&$'$$ b\n");
  });
});

describe('OutputPump', () => {
  it('delivers whole lines of each stream, the partial last line at close, and pauses both pipes while the sink is behind', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const got: [OutputStream, string][] = [];
    let accept = false;
    const pump = new OutputPump(stdout, stderr, (stream, lines) => {
      got.push([stream, lines.toString()]);
      return accept;
    });
    stdout.write('a\nb');
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual([['stdout', 'a\n']]);
    expect(stdout.isPaused() && stderr.isPaused()).toBe(true);

    stderr.write('oops\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toHaveLength(1); // paused: nothing more until resume

    accept = true;
    pump.resume();
    stdout.end('c\nd');
    stderr.end();
    await pump.drained;
    // In order per stream; the two streams interleave by chunk, never inside a line.
    expect(got.filter(([stream]) => stream === 'stdout').map(([, lines]) => lines)).toEqual(['a\n', 'bc\n', 'd\n']);
    expect(got.filter(([stream]) => stream === 'stderr').map(([, lines]) => lines)).toEqual(['oops\n']);
  });
});

describe('LogRing', () => {
  it('keeps the most recent chunks up to its byte bound, splitting them only when read', () => {
    const ring = new LogRing(6);
    ring.add(Buffer.from('1\n2\n'));
    ring.add(Buffer.from('3\n4\n'));
    ring.add(Buffer.from('5\n'));
    expect(ring.tail()).toEqual(['3', '4', '5']);
    expect(ring.tail(2)).toEqual(['4', '5']);
    ring.add(Buffer.from('a much longer line\n'));
    expect(ring.tail()).toEqual(['a much longer line']);
  });
});
