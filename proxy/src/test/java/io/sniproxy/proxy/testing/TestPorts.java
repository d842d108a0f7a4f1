package io.sniproxy.proxy.testing;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for listeners a test binds later, taken from below the kernel's ephemeral range: a port the
 * OS once handed out as "free" (bind to 0) is handed out again to the next outgoing connection, and
 * tests that open thousands of them (FdLeakTest) took a listener's port before it was bound. Ports
 * outside that range are only ever taken by an explicit bind, so only another test JVM can collide:
 * each JVM starts at a random point and walks on, skipping ports that are taken.
 */
final class TestPorts {

    private static final int LOWEST = 10_000;
    private static final int[] EPHEMERAL = ephemeralRange();
    /** The block below the ephemeral range, or above it when the range starts too low. */
    private static final int FIRST = EPHEMERAL[0] - LOWEST >= 4_000 ? LOWEST : EPHEMERAL[1] + 1;
    private static final int LAST = EPHEMERAL[0] - LOWEST >= 4_000 ? EPHEMERAL[0] - 1 : 65_535;
    private static final AtomicInteger NEXT =
            new AtomicInteger(ThreadLocalRandom.current().nextInt(LAST - FIRST + 1));

    private TestPorts() {
    }

    /** A port free for TCP and UDP, on loopback and the wildcard address, outside the ephemeral range. */
    static int free() throws IOException {
        int span = LAST - FIRST + 1;
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = FIRST + Math.floorMod(NEXT.getAndIncrement(), span);
            if (bindable(port)) {
                return port;
            }
        }
        throw new IOException("no port free for both TCP and UDP in " + FIRST + "-" + LAST + " after 200 tries");
    }

    private static boolean bindable(int port) {
        try (ServerSocket tcp = new ServerSocket(port);
                DatagramSocket udp = new DatagramSocket(port)) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    private static int[] ephemeralRange() {
        try {
            String[] parts = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
        } catch (IOException | RuntimeException e) {
            return new int[] {32_768, 60_999}; // Linux's default
        }
    }
}
