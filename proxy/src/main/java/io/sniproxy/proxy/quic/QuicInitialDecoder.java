package io.sniproxy.proxy.quic;

/**
 * Opens the client Initial packets of one datagram and feeds their CRYPTO frames to a
 * {@link CryptoReassembler}: long header parsed (RFC 9000 §17.2), Initial keys derived from the
 * DCID (v1 or v2), header protection removed with AES-ECB, payload opened with AES-128-GCM, frames
 * walked (only PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE may appear in an Initial), coalesced
 * packets followed by their Length. 0-RTT packets coalesced behind an Initial are skipped.
 *
 * <p>Works on a private copy of the datagram (header protection is removed in place), so the bytes
 * the proxy forwards are never touched. Never throws for any input; memory per call is bounded by
 * the datagram's size plus the reassembler's cap. One instance per client (it caches the keys of
 * the client's DCID); not thread-safe.
 */
public final class QuicInitialDecoder {

    /** RFC 9000 §14.1: a server discards an Initial carried in a smaller UDP payload. */
    public static final int MIN_INITIAL_DATAGRAM = 1200;
    static final int MAX_CID_LENGTH = 20;

    private static final int FRAME_PADDING = 0x00;
    private static final int FRAME_PING = 0x01;
    private static final int FRAME_ACK = 0x02;
    private static final int FRAME_ACK_ECN = 0x03;
    private static final int FRAME_CRYPTO = 0x06;
    private static final int FRAME_CONNECTION_CLOSE = 0x1c;

    private InitialKeys keys;

    /** What one datagram held. */
    public sealed interface Result {
    }

    /** At least one Initial packet was opened; its CRYPTO data is in the reassembler. */
    public record Decoded(int initialPackets, QuicVersion version) implements Result {
    }

    /** Nothing usable: drop the datagram (when it starts a session) for {@code reason}. */
    public record Dropped(DropReason reason, String detail) implements Result {
    }

    /**
     * @param datagram the UDP payload; a copy is made, the array is not modified
     */
    public Result decode(byte[] datagram, int length, CryptoReassembler crypto) {
        byte[] buf = java.util.Arrays.copyOf(datagram, Math.min(length, datagram.length));
        int end = buf.length;
        int pos = 0;
        int opened = 0;
        QuicVersion seen = null;
        while (pos < end) {
            Result r = null;
            int b0 = buf[pos] & 0xff;
            if ((b0 & 0x80) == 0) {
                // a short-header packet can only be the last of a datagram; an unknown client has no 1-RTT keys
                r = new Dropped(DropReason.NOT_INITIAL, "short-header packet");
            } else if (end - pos < 7) {
                r = new Dropped(DropReason.MALFORMED, "long header truncated");
            } else {
                int wire = readInt(buf, pos + 1);
                QuicVersion version = QuicVersion.of(wire);
                if (wire == 0) {
                    r = new Dropped(DropReason.UNSUPPORTED_VERSION, "version negotiation packet");
                } else if (version == null) {
                    r = new Dropped(DropReason.UNSUPPORTED_VERSION, "QUIC version 0x" + Integer.toHexString(wire));
                } else if (seen != null && version != seen) {
                    r = new Dropped(DropReason.MALFORMED, "coalesced packets of different versions");
                } else {
                    seen = version;
                    Packet p = new Packet();
                    r = header(buf, pos, end, version, p);
                    if (r == null && p.initial) {
                        r = initial(buf, pos, end, version, p, crypto);
                        if (r == null) {
                            opened++;
                        }
                    }
                    if (r == null) {
                        pos = p.end;
                        continue;
                    }
                }
            }
            // A bad first packet drops the datagram; a bad packet after a good Initial ends the walk
            // (a server would ignore it too) and what was opened stands.
            if (opened == 0 || r instanceof Dropped d && d.reason() == DropReason.BAD_HELLO) {
                return r;
            }
            break;
        }
        return opened > 0 ? new Decoded(opened, seen)
                : new Dropped(DropReason.NOT_INITIAL, "no Initial packet in the datagram");
    }

    /** Where a long-header packet's parts are. */
    private static final class Packet {
        boolean initial;
        int dcidOffset;
        int dcidLength;
        int pnOffset;
        int end;
    }

    /** Parses a long header at {@code pos}; null when fine. */
    private static Result header(byte[] buf, int pos, int end, QuicVersion version, Packet p) {
        Reader r = new Reader(buf, pos + 5, end);
        int dcidLength = r.u8();
        if (dcidLength < 0 || dcidLength > MAX_CID_LENGTH || !r.skip(dcidLength)) {
            return new Dropped(DropReason.MALFORMED, "bad destination connection ID");
        }
        int scidLength = r.u8();
        if (scidLength < 0 || scidLength > MAX_CID_LENGTH || !r.skip(scidLength)) {
            return new Dropped(DropReason.MALFORMED, "bad source connection ID");
        }
        int type = (buf[pos] & 0x30) >>> 4;
        if (type == version.retryType()) {
            return new Dropped(DropReason.NOT_INITIAL, "Retry packet from a client");
        }
        p.initial = type == version.initialType();
        if (p.initial) {
            long tokenLength = r.varint();
            if (tokenLength < 0 || !r.skip(tokenLength)) {
                return new Dropped(DropReason.MALFORMED, "bad token length");
            }
        }
        long length = r.varint();
        if (length < 0 || length > end - r.pos) {
            return new Dropped(DropReason.MALFORMED, "packet length beyond the datagram");
        }
        p.dcidOffset = pos + 6;
        p.dcidLength = dcidLength;
        p.pnOffset = r.pos;
        p.end = r.pos + (int) length; // a 0-RTT or Handshake packet is skipped by its Length
        return null;
    }

    /** Removes header protection, opens the payload and walks its frames; null when fine. */
    private Result initial(byte[] buf, int pos, int end, QuicVersion version, Packet p, CryptoReassembler crypto) {
        if (end < MIN_INITIAL_DATAGRAM) {
            return new Dropped(DropReason.TOO_SMALL, "Initial in a " + end + "-byte datagram");
        }
        if (p.pnOffset + 4 + InitialKeys.SAMPLE_LENGTH > p.end) {
            return new Dropped(DropReason.MALFORMED, "Initial too short for a header protection sample");
        }
        if (keys == null || !keys.matches(version, buf, p.dcidOffset, p.dcidLength)) {
            keys = InitialKeys.derive(version, java.util.Arrays.copyOfRange(buf, p.dcidOffset,
                    p.dcidOffset + p.dcidLength));
        }
        byte[] mask = keys.headerMask(buf, p.pnOffset + 4);
        buf[pos] ^= (byte) (mask[0] & 0x0f);
        int pnLength = (buf[pos] & 0x03) + 1;
        long pn = 0;
        for (int i = 0; i < pnLength; i++) {
            buf[p.pnOffset + i] ^= mask[1 + i];
            pn = pn << 8 | (buf[p.pnOffset + i] & 0xff);
        }
        int payload = p.pnOffset + pnLength;
        byte[] plain = keys.open(buf, pos, payload - pos, pn, payload, p.end - payload);
        if (plain == null) {
            return new Dropped(DropReason.UNDECRYPTABLE, "Initial packet did not authenticate");
        }
        return frames(plain, crypto);
    }

    /** Walks the frames of an Initial payload; CRYPTO data goes to the reassembler. Null when fine. */
    static Result frames(byte[] plain, CryptoReassembler crypto) {
        if (plain.length == 0) {
            return new Dropped(DropReason.BAD_FRAMES, "empty Initial payload");
        }
        Reader r = new Reader(plain, 0, plain.length);
        while (r.pos < r.end) {
            long type = r.varint();
            if (type == FRAME_PADDING || type == FRAME_PING) {
                continue;
            }
            boolean ok;
            if (type == FRAME_ACK || type == FRAME_ACK_ECN) {
                ok = r.varint() >= 0 && r.varint() >= 0;
                long ranges = r.varint();
                ok &= ranges >= 0 && r.varint() >= 0;
                // each range is two varints of at least one byte: a huge count fails on bytes, not time
                for (long i = 0; ok && i < ranges; i++) {
                    ok = r.varint() >= 0 && r.varint() >= 0;
                }
                if (ok && type == FRAME_ACK_ECN) {
                    ok = r.varint() >= 0 && r.varint() >= 0 && r.varint() >= 0;
                }
            } else if (type == FRAME_CRYPTO) {
                long offset = r.varint();
                long length = r.varint();
                ok = offset >= 0 && length >= 0 && length <= r.end - r.pos;
                if (ok) {
                    if (!crypto.add(offset, plain, r.pos, (int) length)) {
                        return new Dropped(DropReason.BAD_HELLO, "ClientHello larger than " + crypto.maxBytes()
                                + " bytes (limits.maxClientHelloBytes)");
                    }
                    r.skip(length);
                }
            } else if (type == FRAME_CONNECTION_CLOSE) {
                ok = r.varint() >= 0 && r.varint() >= 0;
                long reason = ok ? r.varint() : -1;
                ok = reason >= 0 && r.skip(reason);
            } else if (type < 0) {
                ok = false;
            } else {
                return new Dropped(DropReason.BAD_FRAMES, "frame type 0x" + Long.toHexString(type)
                        + " is not allowed in an Initial packet");
            }
            if (!ok) {
                return new Dropped(DropReason.BAD_FRAMES, "truncated frame in an Initial packet");
            }
        }
        return null;
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }

    /** A bounds-checked cursor: every read answers -1 / false instead of running past {@code end}. */
    private static final class Reader {
        final byte[] buf;
        final int end;
        int pos;

        Reader(byte[] buf, int pos, int end) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        int u8() {
            return pos < end ? buf[pos++] & 0xff : -1;
        }

        boolean skip(long n) {
            if (n < 0 || n > end - pos) {
                return false;
            }
            pos += (int) n;
            return true;
        }

        /** RFC 9000 §16 variable-length integer, or -1 when truncated. */
        long varint() {
            if (pos >= end) {
                return -1;
            }
            int first = buf[pos] & 0xff;
            int length = 1 << (first >>> 6);
            if (length > end - pos) {
                return -1;
            }
            long v = first & 0x3f;
            for (int i = 1; i < length; i++) {
                v = v << 8 | (buf[pos + i] & 0xff);
            }
            pos += length;
            return v;
        }
    }
}
