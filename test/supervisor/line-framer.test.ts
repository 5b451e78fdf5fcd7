import { describe, expect, it } from 'vitest';
import { LineFramer, prefixLines } from '../../src/supervisor/line-framer.js';
import { LogRing } from '../../src/supervisor/log-ring.js';

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
});

describe('prefixLines', () => {
  it('puts the prefix before every line', () => {
    expect(prefixLines(Buffer.from('a\n\nbc\n'), Buffer.from('x │ ')).toString()).toBe('x │ a\nx │ \nx │ bc\n');
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
