import { describe, expect, it } from 'vitest';
import { currencyDigits, roundMoney, sumDecimals } from './metering.js';

describe('money at its currency precision', () => {
  it('knows how many digits each currency has', () => {
    expect([currencyDigits('EUR'), currencyDigits('USD'), currencyDigits('JPY'), currencyDigits('BHD')]).toEqual([2, 2, 0, 3]);
  });

  it('rounds half away from zero, exactly, from the decimal string', () => {
    expect(roundMoney('4.83258', 'EUR')).toBe('4.83');
    expect(roundMoney('0.013646', 'EUR')).toBe('0.01');
    expect(roundMoney('0.005', 'EUR')).toBe('0.01');
    expect(roundMoney('2.675', 'EUR')).toBe('2.68'); // 2.675 as a float is 2.67499…: no float is involved
    expect(roundMoney('-1.005', 'USD')).toBe('-1.01');
    expect(roundMoney('1234567890123.995', 'EUR')).toBe('1234567890124.00');
    expect(roundMoney('1500.5', 'JPY')).toBe('1501');
    expect(roundMoney('12', 'EUR')).toBe('12.00');
  });

  it('leaves what is not a decimal as it is', () => {
    expect(roundMoney('n/a', 'EUR')).toBe('n/a');
  });
});

describe('sumDecimals', () => {
  it('adds decimal strings exactly', () => {
    expect(sumDecimals(['0.12', '0.34', '1.66'])).toBe('2.12');
    expect(sumDecimals(['0.1', '0.2'])).toBe('0.3');
    expect(sumDecimals(['0.038614', '0.176983', '0.051486'])).toBe('0.267083');
    expect(sumDecimals(['-1.5', '0.25'])).toBe('-1.25');
    expect(sumDecimals([])).toBe('0');
  });
});
