// Picks NOTIFY messages out of the PostgreSQL wire protocol that the embedded database sends its clients. PGlite is
// one session: a notification comes back to whichever connection committed it (often a CLI's), so the process that
// owns PGlite reads them here, on their way out, and tells its own caches (see change-feed.ts).

const NOTIFICATION_RESPONSE = 0x41; // 'A': Int32 pid, String channel, String payload
const HEADER_BYTES = 5; // type byte + Int32 length (which counts itself)

/** Feed it the server's output bytes in order, in chunks of any size; it calls `onNotification` for each NOTIFY. */
export class NotificationScanner {
  #header = Buffer.alloc(0);
  #skip = 0;
  #message: Buffer | undefined;
  #filled = 0;

  constructor(private readonly onNotification: (channel: string, payload: string) => void) {}

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#skip > 0) {
        const step = Math.min(this.#skip, chunk.length - offset);
        this.#skip -= step;
        offset += step;
        continue;
      }
      if (this.#message) {
        const step = Math.min(this.#message.length - this.#filled, chunk.length - offset);
        this.#message.set(chunk.subarray(offset, offset + step), this.#filled);
        this.#filled += step;
        offset += step;
        if (this.#filled === this.#message.length) this.#emit(this.#message);
        continue;
      }
      const need = HEADER_BYTES - this.#header.length;
      const take = chunk.subarray(offset, offset + need);
      this.#header = Buffer.concat([this.#header, take]);
      offset += take.length;
      if (this.#header.length < HEADER_BYTES) return;
      const bodyLength = this.#header.readInt32BE(1) - 4;
      if (this.#header[0] === NOTIFICATION_RESPONSE) {
        this.#message = Buffer.alloc(bodyLength);
        this.#filled = 0;
        if (bodyLength === 0) this.#emit(this.#message);
      } else {
        this.#skip = bodyLength;
      }
      this.#header = Buffer.alloc(0);
    }
  }

  #emit(body: Buffer): void {
    this.#message = undefined;
    const channelEnd = body.indexOf(0, 4);
    const payloadEnd = body.indexOf(0, channelEnd + 1);
    if (channelEnd < 0 || payloadEnd < 0) return;
    this.onNotification(body.toString('utf8', 4, channelEnd), body.toString('utf8', channelEnd + 1, payloadEnd));
  }
}
