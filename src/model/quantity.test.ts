import { describe, expect, it } from 'vitest';
import { formatCpuMilli, formatMemoryBytes, parseCpuMilli, parseMemoryBytes } from './quantity.js';

describe('quantities', () => {
  it('parses CPU in cores and milli-cores', () => {
    expect(parseCpuMilli('16')).toBe(16000);
    expect(parseCpuMilli('2.5')).toBe(2500);
    expect(parseCpuMilli('500m')).toBe(500);
    expect(parseCpuMilli(4)).toBe(4000);
  });
  it('parses memory with binary and decimal suffixes', () => {
    expect(parseMemoryBytes('128Gi')).toBe(128 * 1024 ** 3);
    expect(parseMemoryBytes('512Mi')).toBe(512 * 1024 ** 2);
    expect(parseMemoryBytes('1G')).toBe(1e9);
    expect(parseMemoryBytes('1024')).toBe(1024);
  });
  it('names the field on bad input', () => {
    expect(() => parseCpuMilli('lots', 'spec.resources.cpu')).toThrow(/spec\.resources\.cpu/);
    expect(() => parseMemoryBytes('12 parsecs', 'spec.resources.memory')).toThrow(/spec\.resources\.memory/);
    expect(() => parseCpuMilli(-1)).toThrow(/from 0 to 10000000 cores/);
  });
  it('refuses quantities beyond the bounds, saying the range', () => {
    expect(parseCpuMilli('10000000')).toBe(1e10);
    expect(() => parseCpuMilli('10000001', 'spec.cpu')).toThrow(/spec\.cpu: is too large: allowed 0 to 10000000 cores/);
    expect(() => parseCpuMilli('9'.repeat(400))).toThrow(/too large/);
    expect(parseMemoryBytes('4Pi')).toBe(4 * 1024 ** 5);
    expect(() => parseMemoryBytes('5Pi', 'spec.memory')).toThrow(/spec\.memory: is too large: allowed 0 to 4Pi/);
    expect(() => parseMemoryBytes(1e30)).toThrow(/too large/);
  });
  it('formats round values compactly', () => {
    expect(formatCpuMilli(16000)).toBe('16');
    expect(formatCpuMilli(1500)).toBe('1500m');
    expect(formatMemoryBytes(128 * 1024 ** 3)).toBe('128Gi');
  });
});
