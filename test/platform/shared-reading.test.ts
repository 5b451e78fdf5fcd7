import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseListenLines, readListeningSection } from '../../src/platform/listeners-procfs.js';
import { SharedReading } from '../../src/platform/shared-reading.js';

// No processes, no ports: a fake clock and the text of /proc/net/tcp.

afterEach(() => {
  vi.useRealTimers();
});

describe('a shared reading (the process table, the listening sockets, lsof)', () => {
  it('is aged from when the read ended: a read slower than maxAgeMs is still shared by the callers after it', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    let reads = 0;
    const reading = new SharedReading(() => {
      reads += 1;
      vi.advanceTimersByTime(120); // thousands of sockets in TIME_WAIT, or lsof: longer than the 50 ms callers accept
      return reads;
    });
    expect(reading.get(50)).toBe(1);
    // 200 trees asking right after: one read between them, not one each.
    for (let i = 0; i < 200; i++) expect(reading.get(50)).toBe(1);
    vi.advanceTimersByTime(51);
    expect(reading.get(50)).toBe(2);
    expect(reading.get(0)).toBe(3); // 0: always fresh
    expect(reads).toBe(3);
  });
});

describe('the LISTEN lines of /proc/net/tcp and tcp6', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const timeWait = (i: number) => `${String(i).padStart(4)}: 0100007F:7BA2 0100007F:DE1C 06 00000000:00000000 03:000002FE 00000000     0        0 0 3 00000000503244df`;

  it('gives the port and inode of each listening socket among thousands in TIME_WAIT, IPv4 and IPv6, and skips inode 0', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => timeWait(i));
    lines[17] = '  17: 0100007F:7530 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 00000000dd72ab30 100 0 0 10 0';
    lines[4000] = '4000: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 0 1 00000000dd72ab30 100 0 0 10 0';
    lines[4999] = '4999: 0100007F:0A0A 0100007F:0A0A 01 00000000:00000000 00:00000000 00000000  1000        0 77 1 00000000dd72ab30'; // ESTABLISHED, ports 0A0A
    const v4 = header + lines.join('\n') + '\n';
    expect(parseListenLines(v4)).toEqual([[30000, '4242']]);
    const v6 = `${header}   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 54321 1 0000000000000000 100 0 0 10 0`;
    expect(parseListenLines(v6)).toEqual([[8080, '54321']]);
    expect(parseListenLines(header)).toEqual([]);
  });

  it('is read only up to the last listening socket (the kernel lists them first), in whole lines, however the reads are cut', () => {
    const listen = (i: number) => `${String(i).padStart(4)}: 0100007F:${(30000 + i).toString(16).toUpperCase()} 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 ${5000 + i} 1 00000000dd72ab30 100 0 0 10 0`;
    const table = header + [0, 1, 2].map(listen).concat(Array.from({ length: 20_000 }, (_, i) => timeWait(i + 3))).join('\n') + '\n';
    const whole = Buffer.from(table, 'latin1');
    for (const cut of [7, 100, 333, 4096]) {
      let offset = 0;
      let reads = 0;
      const text = readListeningSection((buffer) => {
        reads += 1;
        const count = whole.copy(buffer, 0, offset, Math.min(offset + cut, whole.length));
        offset += count;
        return count;
      }, cut);
      expect(parseListenLines(text)).toEqual([[30000, '5000'], [30001, '5001'], [30002, '5002']]);
      expect(text.endsWith('\n')).toBe(true);
      expect(offset).toBeLessThan(whole.length / 10); // stopped near the top, not at the end
      expect(reads).toBeGreaterThan(0);
    }
    // A table of listening sockets only is read to its end.
    const only = Buffer.from(header + [0, 1].map(listen).join('\n') + '\n', 'latin1');
    let at = 0;
    const text = readListeningSection((buffer) => {
      const count = only.copy(buffer, 0, at, Math.min(at + 50, only.length));
      at += count;
      return count;
    }, 50);
    expect(parseListenLines(text)).toEqual([[30000, '5000'], [30001, '5001']]);
  });
});
