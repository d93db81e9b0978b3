/**
 * ISO 4217 active currency codes and their minor-unit exponents (decimals).
 * Exponent 2 unless listed otherwise. Source: ISO 4217 list one (SIX), funds codes included,
 * precious metals and testing codes (XAU, XTS, XXX, ...) left out: invoices are not paid in them.
 *
 * @example
 * currencyExponent('JPY'); // 0
 */
const CODES_EXPONENT_2 =
  'AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG';
const CODES_EXPONENT_0 = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const CODES_EXPONENT_3 = 'BHD IQD JOD KWD LYD OMR TND';
const CODES_EXPONENT_4 = 'CLF UYW';

function table(): Map<string, number> {
  const map = new Map<string, number>();
  for (const [codes, exponent] of [
    [CODES_EXPONENT_2, 2],
    [CODES_EXPONENT_0, 0],
    [CODES_EXPONENT_3, 3],
    [CODES_EXPONENT_4, 4],
  ] as const) {
    for (const code of codes.split(' ')) map.set(code, exponent);
  }
  return map;
}

/** Code → exponent. */
export const CURRENCY_EXPONENTS: ReadonlyMap<string, number> = table();

/** All accepted codes, sorted. */
export const CURRENCY_CODES: readonly string[] = [...CURRENCY_EXPONENTS.keys()].sort();

/** The exponent of an ISO 4217 code, or `undefined` for an unknown code. */
export function currencyExponent(code: string): number | undefined {
  return CURRENCY_EXPONENTS.get(code);
}
