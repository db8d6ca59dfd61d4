/**
 * A CA of the test's own and a server certificate it signed, for 127.0.0.1 and localhost (made
 * with openssl in a temporary folder, removed by cleanupTls).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dirs: string[] = [];

export interface TestCertificates {
  caFile: string;
  key: Buffer;
  cert: Buffer;
}

export function testCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "ballador-tls-"));
  dirs.push(dir);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=test CA",
  );
  ssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "srv.key",
    "-out",
    "srv.csr",
    "-subj",
    "/CN=localhost",
  );
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  ssl(
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "srv.crt",
    "-days",
    "2",
    "-extfile",
    "san.ext",
  );
  return {
    caFile: join(dir, "ca.crt"),
    key: readFileSync(join(dir, "srv.key")),
    cert: readFileSync(join(dir, "srv.crt")),
  };
}

export function cleanupTls(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
