package io.sniproxy.proxy.quic;

import java.util.Arrays;
import java.util.BitSet;

/**
 * The client's Initial CRYPTO stream rebuilt from frames that arrive in any order, overlap or
 * repeat (browsers scatter a post-quantum ClientHello over two packets in many small frames).
 * Bytes already received win over later copies, so a duplicate can never change what was parsed.
 *
 * <p>Bounded: nothing at or beyond {@code maxBytes} is stored, and the buffer grows only as far as
 * the highest byte received. Pure data structure: no I/O, no exceptions for any input.
 */
public final class CryptoReassembler {

    private static final int INITIAL_CAPACITY = 2048;

    private final int maxBytes;
    private final BitSet received = new BitSet();
    private byte[] data = new byte[0];

    public CryptoReassembler(int maxBytes) {
        this.maxBytes = Math.max(0, maxBytes);
    }

    /**
     * Adds {@code length} bytes of {@code src} at stream {@code offset}.
     *
     * @return false when the frame reaches past {@code maxBytes} (the hello is too large to route)
     */
    public boolean add(long offset, byte[] src, int srcOffset, int length) {
        if (offset < 0 || length < 0 || offset + length > maxBytes) {
            return false;
        }
        int from = (int) offset;
        int to = from + length;
        ensureCapacity(to);
        for (int i = received.nextClearBit(from); i < to; ) {
            int nextSet = received.nextSetBit(i);
            int end = nextSet < 0 || nextSet > to ? to : nextSet;
            System.arraycopy(src, srcOffset + (i - from), data, i, end - i);
            received.set(i, end);
            i = received.nextClearBit(end);
        }
        return true;
    }

    /** Bytes received without a gap from offset 0: what a parser can look at. */
    public int contiguous() {
        return received.nextClearBit(0);
    }

    /** The contiguous prefix (shared, not a copy: read it before the next {@link #add}). */
    public byte[] buffer() {
        return data;
    }

    /** Bytes currently held (the buffer's capacity), for memory bounds. */
    public int capacity() {
        return data.length;
    }

    public int maxBytes() {
        return maxBytes;
    }

    private void ensureCapacity(int needed) {
        if (needed <= data.length) {
            return;
        }
        int size = Math.max(data.length, INITIAL_CAPACITY);
        while (size < needed) {
            size *= 2;
        }
        data = Arrays.copyOf(data, Math.min(size, maxBytes));
    }
}
