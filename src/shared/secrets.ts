// Random values, keyed hashes and authenticated encryption, all derived from the one APP_KEY.
import {
  createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes, timingSafeEqual, type KeyObject,
} from 'node:crypto';

/** What a derived key is for; each purpose gets its own key, so one use can never stand in for another. */
export type KeyPurpose = 'client-secret' | 'oidc-id' | 'oidc-payload' | 'key-encryption' | 'app-key-check' | 'csrf' | 'sign-in-attempts';

// Random bytes cut from a pool filled by the CSPRNG: one randomBytes() call costs some 3 µs however few bytes it gives
// (20 µs in a busy service, in profiles), and every token request seals a token with a fresh 96-bit GCM nonce, every
// new client or rotation makes a secret. A part given out is never given again: the pool is replaced, not refilled in
// place, so bytes already handed out (an IV a cipher still holds) never change.
const POOL_BYTES = 6144;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function pooledRandomBytes(bytes: number): Buffer {
  if (bytes > POOL_BYTES / 4) return randomBytes(bytes);
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  poolOffset += bytes;
  return pool.subarray(poolOffset - bytes, poolOffset);
}

/** A high-entropy random value, base64url encoded (256 bits by default). */
export function randomToken(bytes = 32): string {
  return pooledRandomBytes(bytes).toString('base64url');
}

const IV_BYTES = 12;

export class Secrets {
  // KeyObjects, not Buffers: on Node 24 every HMAC or cipher made from a Buffer key first fails two type checks by
  // throwing, which made each one about six times slower (8 µs against 1.4 µs) on the token and /graphql paths.
  private readonly keys = new Map<KeyPurpose, KeyObject>();
  readonly #thisTurn = new Map<string, string>();

  constructor(private readonly appKey: string) {}

  private key(purpose: KeyPurpose): KeyObject {
    let key = this.keys.get(purpose);
    if (!key) {
      key = createSecretKey(Buffer.from(hkdfSync('sha256', this.appKey, 'auth-clients', purpose, 32)));
      this.keys.set(purpose, key);
    }
    return key;
  }

  /** HMAC-SHA-256 of value, base64url: what is stored in place of a secret or token. */
  hash(purpose: KeyPurpose, value: string): string {
    return createHmac('sha256', this.key(purpose)).update(value, 'utf8').digest('base64url');
  }

  /**
   * hash(), remembered until the event loop turns (then forgotten, so no value stays in memory): for a value one
   * request hashes several times, as a token's stored id is.
   */
  hashThisTurn(purpose: KeyPurpose, value: string): string {
    const memo = `${purpose}:${value}`;
    let hashed = this.#thisTurn.get(memo);
    if (hashed === undefined) {
      hashed = this.hash(purpose, value);
      if (this.#thisTurn.size === 0) setImmediate(() => this.#thisTurn.clear());
      this.#thisTurn.set(memo, hashed);
    }
    return hashed;
  }

  /** Constant-time check of a presented value against a stored keyed hash. */
  verify(purpose: KeyPurpose, value: string, storedHash: string): boolean {
    const expected = Buffer.from(storedHash, 'base64url');
    const actual = createHmac('sha256', this.key(purpose)).update(value, 'utf8').digest();
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  /**
   * The index of the stored keyed hash that `value` matches, or -1. The HMAC is computed once and compared with every
   * hash in constant time, matched or not, so the time taken says nothing about which one matched.
   */
  matchAny(purpose: KeyPurpose, value: string, storedHashes: readonly string[]): number {
    const actual = createHmac('sha256', this.key(purpose)).update(value, 'utf8').digest();
    let match = -1;
    storedHashes.forEach((storedHash, index) => {
      const expected = Buffer.from(storedHash, 'base64url');
      if (expected.length === actual.length && timingSafeEqual(expected, actual) && match === -1) match = index;
    });
    return match;
  }

  /** AES-256-GCM; `context` is bound as associated data, so a ciphertext cannot be moved to another row. */
  encrypt(purpose: KeyPurpose, plaintext: string, context = ''): string {
    const iv = pooledRandomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key(purpose), iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(purpose: KeyPurpose, sealed: string, context = ''): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || iv === undefined || tag === undefined || body === undefined) {
      throw new Error('Unreadable encrypted value');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key(purpose), Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
