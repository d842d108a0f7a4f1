package io.sniproxy.proxy.quic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CryptoReassemblerTest {

    static byte[] data(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + 3);
        }
        return b;
    }

    @Test
    void framesInReverseOrderWithOverlapsAndDuplicatesRebuildTheStream() {
        byte[] d = data(3000);
        CryptoReassembler r = new CryptoReassembler(4096);
        assertThat(r.add(2000, d, 2000, 1000)).isTrue();
        assertThat(r.contiguous()).isZero();
        assertThat(r.add(1500, d, 1500, 800)).isTrue();   // overlaps the next
        assertThat(r.add(1500, d, 1500, 800)).isTrue();   // duplicate
        assertThat(r.add(0, d, 0, 1000)).isTrue();
        assertThat(r.contiguous()).isEqualTo(1000);
        assertThat(r.add(900, d, 900, 700)).isTrue();     // bridges the gap, overlapping both sides
        assertThat(r.contiguous()).isEqualTo(3000);
        assertThat(Arrays.copyOf(r.buffer(), 3000)).isEqualTo(d);
    }

    @Test
    void bytesReceivedFirstWinOverALaterConflictingCopy() {
        byte[] d = data(100);
        CryptoReassembler r = new CryptoReassembler(4096);
        r.add(0, d, 0, 60);
        byte[] liar = new byte[100];
        r.add(0, liar, 0, 100);
        assertThat(Arrays.copyOf(r.buffer(), 60)).isEqualTo(Arrays.copyOf(d, 60));
        assertThat(Arrays.copyOfRange(r.buffer(), 60, 100)).isEqualTo(new byte[40]);
        assertThat(r.contiguous()).isEqualTo(100);
    }

    @Test
    void nothingAtOrBeyondTheCapIsStoredAndTheBufferNeverExceedsIt() {
        CryptoReassembler r = new CryptoReassembler(5000);
        assertThat(r.add(4000, data(1000), 0, 1000)).isTrue();
        assertThat(r.add(4001, data(1000), 0, 1000)).isFalse();
        assertThat(r.add(Long.MAX_VALUE / 4, data(10), 0, 10)).isFalse();
        assertThat(r.add(-1, data(10), 0, 10)).isFalse();
        assertThat(r.capacity()).isLessThanOrEqualTo(5000);
        assertThat(r.contiguous()).isZero();
    }

    @Test
    void emptyFramesChangeNothing() {
        CryptoReassembler r = new CryptoReassembler(100);
        assertThat(r.add(0, new byte[0], 0, 0)).isTrue();
        assertThat(r.add(100, new byte[0], 0, 0)).isTrue();
        assertThat(r.contiguous()).isZero();
    }
}
