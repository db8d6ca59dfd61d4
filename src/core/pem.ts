/** PEM text: the certificate blocks of a file (a CA bundle may also hold keys or comments). */

const CERTIFICATE = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;

/** Every CERTIFICATE block of `text`, as written (whitespace around it dropped). */
export function pemCertificates(text: string): string[] {
  return text.match(CERTIFICATE) ?? [];
}
