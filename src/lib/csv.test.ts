import { describe, expect, it } from 'vitest';
import { toCsv } from './csv.js';

describe('CSV', () => {
  it('quotes what needs quoting and keeps formulas as text', () => {
    expect(toCsv(['a', 'b'], [['plain', 'with, comma'], ['say "hi"', '=HYPERLINK("x")'], [null, '-1'], ['line\nbreak', 3]])).toBe(
      'a,b\r\nplain,"with, comma"\r\n"say ""hi""","\'=HYPERLINK(""x"")"\r\n,\'-1\r\n"line\nbreak",3\r\n',
    );
  });
});
