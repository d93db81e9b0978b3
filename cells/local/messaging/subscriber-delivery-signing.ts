import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import type { SigningKeyAnswer, SubscriberNotification } from '../../../schemas/api/subscriber-delivery.js';
import type { DatabaseHandle } from '../storage/db.js';

/**
 * Signing of subscriber pushes: one Ed25519 key pair per data dir (made on first use, kept in the
 * `meta` table so receivers keep trusting the cell across restarts), the canonical string that is
 * signed, and the verification a receiver runs with the public key of `GET /subscribers/signing-key`.
 *
 * Canonical string (after SNS's scheme, https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html):
 * for each of `Message`, `MessageGroupId`, `MessageId`, `SequenceNumber`, `Subscription`,
 * `Timestamp`, `TopicArn`, `Type`, in this order, the field name, a newline, the value, a newline
 * (UTF-8). The signature is Ed25519 over those bytes, base64.
 *
 * @example
 * const ok = verifyNotification(JSON.parse(body), publicKeyPem); // receiver side
 */

/** The `SignatureVersion` of every envelope. */
export const SIGNATURE_VERSION = 'ed25519-1';
const SIGNING_KEY_META_KEY = 'subscriber_signing_key';

/** The envelope fields that are signed, in canonical order. */
export const SIGNED_FIELDS = [
  'Message',
  'MessageGroupId',
  'MessageId',
  'SequenceNumber',
  'Subscription',
  'Timestamp',
  'TopicArn',
  'Type',
] as const;

/** An envelope before it is signed. */
export type UnsignedNotification = Omit<
  SubscriberNotification,
  'Signature' | 'SigningKeyId' | 'SignatureVersion'
>;

/** The string that is signed (see the module comment). Pure. */
export function canonicalNotificationString(notification: UnsignedNotification): string {
  return SIGNED_FIELDS.map((field) => `${field}\n${notification[field]}\n`).join('');
}

/** The cell's signing key pair and its public description. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly answer: SigningKeyAnswer;
}

/** `keyId`: the first 16 hex digits of SHA-256 over the SPKI DER of the public key. */
function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/**
 * The data dir's signing key: made on first use (`INSERT OR IGNORE`, so two connections racing keep
 * one) and read back from the `meta` table. Deleting the row rotates it on the next start.
 */
export function subscriberSigningKey(db: DatabaseHandle): SigningKey {
  const pair = generateKeyPairSync('ed25519');
  db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(
    SIGNING_KEY_META_KEY,
    pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(SIGNING_KEY_META_KEY) as
    | { value: string }
    | undefined;
  if (!row) throw new Error('the subscriber signing key could not be stored');
  const privateKey = createPrivateKey(row.value);
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    answer: {
      algorithm: 'ed25519',
      keyId: keyIdOf(publicKey),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      signatureVersion: SIGNATURE_VERSION,
    },
  };
}

/** Signs an envelope with the cell's key. */
export function signNotification(
  notification: UnsignedNotification,
  key: SigningKey,
): SubscriberNotification {
  const signature = sign(
    null,
    Buffer.from(canonicalNotificationString(notification), 'utf8'),
    key.privateKey,
  );
  return {
    ...notification,
    SignatureVersion: SIGNATURE_VERSION,
    Signature: signature.toString('base64'),
    SigningKeyId: key.answer.keyId,
  };
}

/**
 * What a receiver runs: true when `notification` was signed by the key whose PEM is `publicKeyPem`
 * and no signed field was changed. Never throws on a malformed envelope (answers false).
 */
export function verifyNotification(notification: SubscriberNotification, publicKeyPem: string): boolean {
  try {
    if (notification.SignatureVersion !== SIGNATURE_VERSION) return false;
    return verify(
      null,
      Buffer.from(canonicalNotificationString(notification), 'utf8'),
      createPublicKey(publicKeyPem),
      Buffer.from(notification.Signature, 'base64'),
    );
  } catch {
    return false;
  }
}
