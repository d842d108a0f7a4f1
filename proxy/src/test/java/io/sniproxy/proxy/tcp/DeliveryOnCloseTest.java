package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.route.HostResolver;
import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.StreamDigest;
import io.vertx.core.Promise;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A close is forwarded, never amplified. A peer that sends a lot and closes at once has every byte
 * delivered before the other side is closed (the proxy's buffers and the kernel's are full when the
 * close arrives; closing the other socket then would silently cut the stream short). A peer that
 * only half-closes (FIN after its last byte, still reading) gets its FIN passed on and keeps
 * receiving, as on a direct connection.
 */
class DeliveryOnCloseTest {

    static final byte[] HELLO = ClientHellos.tls13("bulk.example.com");
    static final int PAYLOAD = 24 * 1024 * 1024;
    /** What is left in flight when the sender closes: less than the loopback sockets buffer. */
    static final int TAIL = 2 * 1024 * 1024;

    /** Blocking peers, each on its own virtual thread (the common pool has one worker on 2 cores). */
    static final ExecutorService PEERS = Executors.newVirtualThreadPerTaskExecutor();

    // One backend and proxy per test: a failing test must not leave a connection for the next.
    ServerSocket backend;
    ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        proxy = ProxyHarness.start(ProxyHarness.oneTlsRoute("bulk.example.com", backend.getLocalPort()));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    @AfterAll
    static void stopPeers() {
        PEERS.shutdownNow();
    }

    @Test
    void aBackendClosingRightAfterALargeResponseHasEveryByteDelivered() throws Exception {
        byte[] payload = payload(1);
        CompletableFuture<Object> served = peer(() -> {
            try (Socket b = backend.accept()) {
                b.getInputStream().readNBytes(HELLO.length);
                b.getOutputStream().write(payload);
            }
            return null;
        });
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.port("tls"))) {
            client.getOutputStream().write(HELLO);
            client.setSoTimeout(20_000);
            StreamDigest reader = new StreamDigest(client.getInputStream());
            reader.read(PAYLOAD - TAIL);
            // The tail fits in the sockets' buffers: the backend finishes and closes while the proxy
            // still holds bytes for a client that is not reading.
            served.get(20, TimeUnit.SECONDS);
            Thread.sleep(300);
            reader.readToEnd();
            assertThat(reader.digest()).isEqualTo(StreamDigest.of(payload));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.active("tls") == 0);
    }

    @Test
    void aClientClosingRightAfterALargeUploadHasEveryByteDelivered() throws Exception {
        byte[] payload = payload(2);
        CompletableFuture<Socket> accepted = peer(backend::accept);
        Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.port("tls"));
        OutputStream out = client.getOutputStream();
        out.write(HELLO);
        try (Socket b = accepted.get(10, TimeUnit.SECONDS)) {
            b.setSoTimeout(20_000);
            InputStream in = b.getInputStream();
            assertThat(in.readNBytes(HELLO.length)).isEqualTo(HELLO);
            CompletableFuture<Object> sent = peer(() -> {
                try (client) {
                    out.write(payload);
                    out.flush();
                }
                return null;
            });
            StreamDigest reader = new StreamDigest(in);
            reader.read(PAYLOAD - TAIL);
            sent.get(20, TimeUnit.SECONDS); // the client wrote the tail and closed
            Thread.sleep(300);
            reader.readToEnd();
            assertThat(reader.digest()).isEqualTo(StreamDigest.of(payload));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.active("tls") == 0);
    }

    @Test
    void aClientThatHalfClosesAfterItsRequestStillGetsTheWholeResponse() throws Exception {
        byte[] request = "request, then FIN".getBytes(StandardCharsets.US_ASCII);
        byte[] response = Arrays.copyOf(payload(3), 1024 * 1024);
        CompletableFuture<byte[]> served = peer(() -> {
            try (Socket b = backend.accept()) {
                b.setSoTimeout(10_000);
                InputStream in = b.getInputStream();
                in.readNBytes(HELLO.length);
                byte[] got = in.readAllBytes(); // up to the client's FIN, passed on by the proxy
                b.getOutputStream().write(response);
                return got;
            }
        });
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.port("tls"))) {
            client.setSoTimeout(10_000);
            client.getOutputStream().write(HELLO);
            client.getOutputStream().write(request);
            client.shutdownOutput();
            StreamDigest reader = new StreamDigest(client.getInputStream());
            reader.readToEnd();
            assertThat(served.get(10, TimeUnit.SECONDS)).isEqualTo(request);
            assertThat(reader.digest()).isEqualTo(StreamDigest.of(response));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.active("tls") == 0);
    }

    @Test
    void aBackendThatHalfClosesStillGetsWhatTheClientSendsAfterwards() throws Exception {
        byte[] greeting = "greeting, then FIN".getBytes(StandardCharsets.US_ASCII);
        byte[] upload = Arrays.copyOf(payload(4), 256 * 1024);
        CompletableFuture<String> received = peer(() -> {
            try (Socket b = backend.accept()) {
                b.setSoTimeout(10_000);
                InputStream in = b.getInputStream();
                in.readNBytes(HELLO.length);
                b.getOutputStream().write(greeting);
                b.shutdownOutput();
                StreamDigest reader = new StreamDigest(in);
                reader.readToEnd();
                return reader.digest();
            }
        });
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.port("tls"))) {
            client.setSoTimeout(10_000);
            client.getOutputStream().write(HELLO);
            assertThat(client.getInputStream().readAllBytes()).isEqualTo(greeting); // then the backend's FIN
            client.getOutputStream().write(upload);
        }
        assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo(StreamDigest.of(upload));
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.active("tls") == 0);
    }

    @Test
    void aFinSentWhileTheBackendIsStillBeingConnectedFollowsTheHello() throws Exception {
        byte[] hello = ClientHellos.tls13("slow.example.com");
        // A resolver that answers after 300 ms: the client's FIN arrives while the proxy connects.
        HostResolver slow = name -> {
            Promise<InetAddress> answer = Promise.promise();
            CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS, PEERS)
                    .execute(() -> answer.complete(InetAddress.getLoopbackAddress()));
            return answer.future();
        };
        try (ProxyHarness slowProxy = ProxyHarness.start("""
                listeners:
                  - name: tls
                    address: 127.0.0.1:${port:tls}
                    protocol: tls
                routes:
                  - hostnames: [slow.example.com]
                    backend: slow.backend.test:%d
                """.formatted(backend.getLocalPort()), slow)) {
            CompletableFuture<byte[]> served = peer(() -> {
                try (Socket b = backend.accept()) {
                    b.setSoTimeout(10_000);
                    byte[] got = b.getInputStream().readAllBytes(); // the hello, then the FIN
                    b.getOutputStream().write("bye".getBytes(StandardCharsets.US_ASCII));
                    return got;
                }
            });
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), slowProxy.port("tls"))) {
                client.setSoTimeout(10_000);
                client.getOutputStream().write(hello);
                client.shutdownOutput();
                assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                        .isEqualTo("bye");
            }
            assertThat(served.get(10, TimeUnit.SECONDS)).isEqualTo(hello);
            await().atMost(Duration.ofSeconds(5)).until(() -> slowProxy.active("tls") == 0);
            assertThat(slowProxy.outcome("tls", "routed")).isEqualTo(1.0);
        }
    }

    /** A blocking peer (backend or client side) on its own virtual thread. */
    static <T> CompletableFuture<T> peer(Callable<T> work) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return work.call();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, PEERS);
    }

    static byte[] payload(long seed) {
        byte[] b = new byte[PAYLOAD];
        new Random(seed).nextBytes(b);
        return b;
    }
}
