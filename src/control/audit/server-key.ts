// The server's signing key: an Ed25519 key pair kept in a directory outside the database, so
// whoever can rewrite the database cannot forge what the server signed. It signs the audit
// checkpoints (checkpoints.ts) and anything else the server vouches for (an audit export): a
// record is signed over its canonical JSON (keys sorted, no whitespace) and carries the key's id
// and the signature beside its fields, so a reader needs only the public key to check it.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, hkdfSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_KEY_FILE = 'server-key.pem';
export const PUBLIC_KEY_FILE = 'server-key.pub.pem';

/** The fields a signed record carries beside its own. */
export interface Signature {
  /** First 16 hex digits of the SHA-256 of the public key (DER, SubjectPublicKeyInfo). */
  keyId: string;
  /** Ed25519 signature of the record's canonical JSON without these two fields, base64. */
  signature: string;
}

export type Signed<T> = T & Signature;

/** JSON with object keys sorted at every level and no whitespace: one text per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export type RecordCheck = 'valid' | 'other-key' | 'bad-signature';

export class ServerKey {
  readonly keyId: string;

  private constructor(
    private readonly privateKey: KeyObject | undefined,
    readonly publicKey: KeyObject,
  ) {
    this.keyId = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
  }

  /**
   * The key pair in `dir` (made, mode 0700, on first use). The private key file is mode 0600 and
   * written only if absent, so two servers starting at once on one directory share one key.
   */
  static loadOrCreate(dir: string): ServerKey {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, PRIVATE_KEY_FILE);
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const { privateKey } = generateKeyPairSync('ed25519');
      try {
        writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      pem = readFileSync(file, 'utf8');
    }
    const privateKey = createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 private key`);
    const key = new ServerKey(privateKey, createPublicKey(privateKey));
    writeFileSync(join(dir, PUBLIC_KEY_FILE), key.publicPem(), { mode: 0o644 });
    return key;
  }

  /** A key that lives only as long as this process (an in-memory database's server). */
  static generate(): ServerKey {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return new ServerKey(privateKey, publicKey);
  }

  /**
   * A 32-byte key for one purpose (e.g. encrypting Secrets at rest), derived from the private key
   * with HKDF-SHA256: the one key file outside the database protects both what the server signs
   * and what it encrypts, and one purpose's key says nothing about another's.
   */
  deriveKey(purpose: string): Buffer {
    if (!this.privateKey) throw new Error('this server key holds no private key: it can only verify');
    const ikm = this.privateKey.export({ type: 'pkcs8', format: 'der' });
    return Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), `weft ${purpose}`, 32));
  }

  /** A key that can only check signatures (an auditor's copy of the public key). */
  static fromPublicPem(pem: string): ServerKey {
    return new ServerKey(undefined, createPublicKey(pem));
  }

  publicPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /** The record with this key's id and its signature added. */
  signRecord<T extends object>(record: T): Signed<T> {
    if (!this.privateKey) throw new Error('this server key holds no private key: it can only verify');
    const signature = sign(null, Buffer.from(canonicalJson(record), 'utf8'), this.privateKey).toString('base64');
    return { ...record, keyId: this.keyId, signature };
  }

  /** Whether a record carries this key's valid signature over its other fields. */
  checkRecord(record: object): RecordCheck {
    const { keyId, signature, ...fields } = record as Record<string, unknown>;
    if (keyId !== this.keyId) return 'other-key';
    if (typeof signature !== 'string') return 'bad-signature';
    try {
      return verify(null, Buffer.from(canonicalJson(fields), 'utf8'), this.publicKey, Buffer.from(signature, 'base64')) ? 'valid' : 'bad-signature';
    } catch {
      return 'bad-signature';
    }
  }
}
