package io.sniproxy.proxy.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sniproxy.proxy.client.ClientLimiter.Permit;
import io.sniproxy.proxy.client.ClientLimiter.Verdict;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ClientLimiterTest {

    final AtomicLong now = new AtomicLong(1_000_000_000L);

    ClientLimiter limiter(int max, double rate, int burst, int capacity) {
        return new ClientLimiter(max, rate, burst, 64, capacity, now::get);
    }

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void concurrentConnectionsAreCappedPerClientAndAnotherClientIsUnaffected() throws Exception {
        ClientLimiter l = limiter(2, 0, 0, 100);
        Permit a1 = l.acquire(ip("127.0.0.2"));
        Permit a2 = l.acquire(ip("127.0.0.2"));
        assertThat(List.of(a1.verdict(), a2.verdict())).containsOnly(Verdict.ADMITTED);
        assertThat(l.acquire(ip("127.0.0.2")).verdict()).isEqualTo(Verdict.CLIENT_LIMIT);
        assertThat(l.acquire(ip("127.0.0.3")).verdict()).isEqualTo(Verdict.ADMITTED);
        a1.release();
        a1.release(); // a second release is ignored: the count cannot go below what is open
        assertThat(l.open(ip("127.0.0.2"))).isEqualTo(1);
        assertThat(l.acquire(ip("127.0.0.2")).verdict()).isEqualTo(Verdict.ADMITTED);
        assertThat(l.acquire(ip("127.0.0.2")).verdict()).isEqualTo(Verdict.CLIENT_LIMIT);
    }

    @Test
    void newConnectionsAreRateLimitedByATokenBucket() throws Exception {
        ClientLimiter l = limiter(0, 10, 3, 100); // 10/s, bursts of 3
        InetAddress c = ip("127.0.0.2");
        for (int i = 0; i < 3; i++) {
            l.acquire(c).release();
        }
        assertThat(l.acquire(c).verdict()).isEqualTo(Verdict.RATE);
        assertThat(l.acquire(ip("127.0.0.3")).verdict()).isEqualTo(Verdict.ADMITTED);
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(99));
        assertThat(l.acquire(c).verdict()).as("0.99 of a token").isEqualTo(Verdict.RATE);
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(2));
        assertThat(l.acquire(c).verdict()).isEqualTo(Verdict.ADMITTED);
        now.addAndGet(TimeUnit.SECONDS.toNanos(60));
        int admitted = 0;
        for (int i = 0; i < 10; i++) {
            admitted += l.acquire(c).verdict() == Verdict.ADMITTED ? 1 : 0;
        }
        assertThat(admitted).as("a long pause refills to the burst, not beyond").isEqualTo(3);
    }

    @Test
    void aRefusedConnectionTakesNoToken() throws Exception {
        ClientLimiter l = limiter(1, 1, 2, 100);
        Permit held = l.acquire(ip("127.0.0.2"));
        assertThat(l.acquire(ip("127.0.0.2")).verdict()).isEqualTo(Verdict.CLIENT_LIMIT);
        held.release();
        assertThat(l.acquire(ip("127.0.0.2")).verdict()).as("one token of two is left").isEqualTo(Verdict.ADMITTED);
    }

    @Test
    void ipv6ClientsAreCountedByTheirPrefixAndMappedIpv4ByTheIpv4Address() throws Exception {
        ClientLimiter l = limiter(1, 0, 0, 100);
        Permit p = l.acquire(ip("2001:db8:1:2::1"));
        assertThat(l.acquire(ip("2001:db8:1:2:ffff::9")).verdict()).as("same /64").isEqualTo(Verdict.CLIENT_LIMIT);
        assertThat(l.acquire(ip("2001:db8:1:3::1")).verdict()).as("next /64").isEqualTo(Verdict.ADMITTED);
        Permit v4 = l.acquire(ip("192.0.2.1"));
        assertThat(v4.verdict()).isEqualTo(Verdict.ADMITTED);
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(ip("192.0.2.1").getAddress(), 0, mapped, 12, 4);
        assertThat(l.acquire(java.net.Inet6Address.getByAddress(null, mapped, -1)).verdict())
                .isEqualTo(Verdict.CLIENT_LIMIT);
        p.release();
        assertThat(ClientKey.of(ip("2001:db8::1"), 128)).isNotEqualTo(ClientKey.of(ip("2001:db8::2"), 128));
        assertThat(ClientKey.of(ip("2001:db8::1"), 48)).isEqualTo(ClientKey.of(ip("2001:db8:0:ffff::2"), 48));
        assertThat(ClientKey.of(ip("2001:db8::1"), 0)).isEqualTo(ClientKey.of(ip("fe80::2"), 0));
        assertThat(ClientKey.of(ip("2001:db8::1"), 96)).isNotEqualTo(ClientKey.of(ip("2001:db8::1:0:0"), 96));
        assertThat(ClientKey.of(ip("0.0.0.0"), 64)).as("IPv4 is never an IPv6 key")
                .isNotEqualTo(ClientKey.of(ip("::"), 64));
    }

    @Test
    void aFullTableForgetsTheLeastRecentlySeenIdleClientWhoThenStartsWithAFullBucket() throws Exception {
        ClientLimiter l = limiter(0, 1, 1, 2);
        l.acquire(ip("127.0.0.2")).release();      // bucket now empty
        assertThat(l.acquire(ip("127.0.0.2")).verdict()).isEqualTo(Verdict.RATE);
        l.acquire(ip("127.0.0.3")).release();
        l.acquire(ip("127.0.0.4")).release();      // table of 2: .2 (least recently seen) is forgotten
        assertThat(l.size()).isEqualTo(2);
        assertThat(l.evictions()).isEqualTo(1);
        assertThat(l.acquire(ip("127.0.0.2")).verdict()).as("forgotten: a fresh bucket").isEqualTo(Verdict.ADMITTED);
        assertThat(l.size()).isEqualTo(2);
    }

    @Test
    void aTableFullOfClientsWithOpenConnectionsRefusesANewClientAndNeverDropsACount() throws Exception {
        ClientLimiter l = limiter(5, 0, 0, 2);
        Permit a = l.acquire(ip("127.0.0.2"));
        Permit b = l.acquire(ip("127.0.0.3"));
        assertThat(l.acquire(ip("127.0.0.4")).verdict()).isEqualTo(Verdict.CLIENT_LIMIT);
        assertThat(l.open(ip("127.0.0.2"))).isEqualTo(1);
        a.release();
        assertThat(l.acquire(ip("127.0.0.4")).verdict()).isEqualTo(Verdict.ADMITTED);
        b.release();
    }

    @Test
    void countsStayExactUnderConcurrentAcquireAndRelease() throws Exception {
        ClientLimiter l = new ClientLimiter(1_000_000, 0, 0, 64, 64, System::nanoTime);
        int threads = 4;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < 20_000; i++) {
                        InetAddress a = InetAddress.getByAddress(new byte[] {10, 0, (byte) id, (byte) (i % 40)});
                        Permit p = l.acquire(a);
                        p.release();
                        p.release();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            th.start();
            ts.add(th);
        }
        go.countDown();
        for (Thread th : ts) {
            th.join();
        }
        assertThat(l.size()).isLessThanOrEqualTo(64);
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < 40; i++) {
                assertThat(l.open(InetAddress.getByAddress(new byte[] {10, 0, (byte) t, (byte) i}))).isZero();
            }
        }
    }
}
