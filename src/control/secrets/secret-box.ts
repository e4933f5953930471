// Secret values at rest: AES-256-GCM under a key derived from the server key (audit/server-key.ts),
// which lives in a file outside the database. A database, a dump or a backup alone yields no
// value. The project and name are authenticated with the ciphertext, so sealed values cannot be
// moved to another Secret; the key id says which server key sealed them.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ServerKey } from '../audit/server-key.js';

export interface SealedValues {
  keyId: string;
  /** base64 of nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes). */
  box: string;
}

export class SecretBox {
  private readonly key: Buffer;
  readonly keyId: string;

  constructor(serverKey: ServerKey) {
    this.key = serverKey.deriveKey('secret values v1');
    this.keyId = serverKey.keyId;
  }

  seal(project: string, name: string, values: Record<string, string>): SealedValues {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(`${project}/${name}`));
    const body = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
    return { keyId: this.keyId, box: Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64') };
  }

  open(project: string, name: string, sealed: SealedValues): Record<string, string> {
    if (sealed.keyId !== this.keyId) throw new Error(`secret ${project}/${name} was sealed with server key ${sealed.keyId}, not this server's ${this.keyId}`);
    const raw = Buffer.from(sealed.box, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(`${project}/${name}`));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const text = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
    return JSON.parse(text) as Record<string, string>;
  }
}
