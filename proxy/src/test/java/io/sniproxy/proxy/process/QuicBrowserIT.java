package io.sniproxy.proxy.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real browser and a real HTTP/3 server through the packaged proxy: Debian's headless Chromium
 * loads pages over HTTP/3 (forced to the origin) through the proxy's quic listener from Debian's
 * Caddy. Each load is a new QUIC connection that makes six requests (the page and five fetches),
 * HTTP/3 as both ends see it (the browser's {@code nextHopProtocol}, Caddy's request protocol);
 * a name without a route is refused without a byte reaching Caddy, and the browser's
 * retransmissions stay refused (no second session, no {@code timeout}); every session is gone
 * within {@code udpSession} of the last datagram and the proxy's fds are back at their baseline.
 * Runs in failsafe, after {@code package}; .ci/run installs chromium and caddy.
 */
class QuicBrowserIT {

    static final long UDP_SESSION_MILLIS = 3000;
    static final int LOADS = 3;
    static final String PAGE = """
            <!doctype html><html><body><script>
            (async () => {
              const protocols = [performance.getEntriesByType('navigation')[0].nextHopProtocol];
              const served = [];
              for (let i = 0; i < 5; i++) {
                served.push(await (await fetch('/n/' + i, {cache: 'no-store'})).text());
              }
              for (const e of performance.getEntriesByType('resource')) protocols.push(e.nextHopProtocol);
              document.body.textContent = 'protocols=' + protocols.join(',') + ' served=' + served.join(',');
            })();
            </script></body></html>
            """;

    @TempDir
    Path dir;

    @Test
    void pagesLoadOverHttp3ThroughTheProxyUnknownNamesStayRefusedAndEverythingIsGivenBack() throws Exception {
        HeadlessChromium.requireInstalled();
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=www.example.com",
                "-addext", "subjectAltName=DNS:www.example.com,DNS:unknown.example.com");
        Path site = Files.createDirectories(dir.resolve("site"));
        Files.writeString(site.resolve("index.html"), PAGE, StandardCharsets.UTF_8);
        String spki = spkiHash(cert);
        // Caddy serves both names: if the proxy let the unknown one through, Caddy would answer it.
        try (CaddyServer caddy = CaddyServer.start(dir, site, cert, key, List.of("www.example.com",
                "unknown.example.com"))) {
            int quicPort = ProxyProcess.freePort();
            Path config = dir.resolve("proxy.yaml");
            Files.writeString(config, """
                    listeners:
                      - name: h3
                        address: 127.0.0.1:%d
                        protocol: quic
                    routes:
                      - hostnames: [www.example.com]
                        backend: 127.0.0.1:%d
                        protocols: [quic]
                    timeouts:
                      udpSession: %dms
                    """.formatted(quicPort, caddy.port, UDP_SESSION_MILLIS));
            try (ProxyProcess proxy = ProxyProcess.start(config)) {
                long baselineFds = openFds(proxy.pid());
                var baselineKinds = proxy.openFdKinds();

                List<Long> loadMillis = new ArrayList<>();
                long lastExit = 0;
                for (int i = 0; i < LOADS; i++) {
                    HeadlessChromium.Load load = HeadlessChromium.load(dir, "https://www.example.com/",
                            "www.example.com", quicPort, spki);
                    assertThat(load.dom()).as("load %d: %s", i, load.errorCode())
                            // every entry h3 (the page, the five fetches, whatever else the browser fetched)
                            .containsPattern("protocols=(h3,){5,}h3 served=HTTP/3.0,HTTP/3.0,HTTP/3.0,HTTP/3.0,HTTP/3.0<");
                    loadMillis.add(load.millis());
                    lastExit = load.exitedNanos();
                }
                List<String> served = caddy.accessLog();
                assertThat(served.stream().filter(l -> l.contains("\"proto\":\"HTTP/3.0\"")
                        && l.contains("\"host\":\"www.example.com\"")).count()).isGreaterThanOrEqualTo(LOADS * 6L);
                assertThat(served).noneMatch(l -> !l.contains("\"proto\":\"HTTP/3.0\""));
                Metrics m = Metrics.of(proxy);
                assertThat(m.value("sniproxy_connections_total", "outcome=\"routed\"")).isGreaterThanOrEqualTo(LOADS);
                assertThat(m.value("sniproxy_udp_datagrams_total", "direction=\"downstream\"")).isPositive();

                awaitNoSessions(proxy, lastExit, "after the page loads");
                double upstreamBefore = Metrics.of(proxy).value("sniproxy_udp_datagrams_total",
                        "direction=\"upstream\"");

                HeadlessChromium.Load refused = HeadlessChromium.load(dir, "https://unknown.example.com/",
                        "unknown.example.com", quicPort, spki);
                assertThat(refused.errorCode()).startsWith("ERR_QUIC");
                awaitNoSessions(proxy, refused.exitedNanos(), "after the refused load and its retransmissions");
                Metrics after = Metrics.of(proxy);
                assertThat(after.value("sniproxy_connections_total", "outcome=\"no_route\"")).isEqualTo(1);
                assertThat(after.value("sniproxy_connections_total", "outcome=\"timeout\"")).isZero();
                assertThat(after.value("sniproxy_udp_drops_total", "reason=\"refused_retransmit\"")).isPositive();
                assertThat(after.value("sniproxy_udp_datagrams_total", "direction=\"upstream\""))
                        .as("nothing of the refused client reached the backend").isEqualTo(upstreamBefore);
                assertThat(caddy.accessLog()).noneMatch(l -> l.contains("unknown.example.com"));

                try {
                    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                            .until(() -> openFds(proxy.pid()) <= baselineFds);
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("fds not back at the baseline: " + baselineKinds + " at ready, "
                            + proxy.openFdKinds() + " now", e);
                }
                System.out.printf("QuicBrowserIT: %d loads over HTTP/3 in %s ms; refused load %d ms, "
                        + "%.0f retransmissions dropped; fds %d -> %d%n", LOADS, loadMillis, refused.millis(),
                        after.value("sniproxy_udp_drops_total", "reason=\"refused_retransmit\""), baselineFds,
                        openFds(proxy.pid()));
            }
        }
    }

    /** The gauge reaches 0 no later than {@code udpSession} (plus scheduling slack) after the last datagram. */
    private static void awaitNoSessions(ProxyProcess proxy, long lastDatagramNanos, String when) {
        long deadline = lastDatagramNanos + TimeUnit.MILLISECONDS.toNanos(UDP_SESSION_MILLIS + 1500);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).alias("sessions " + when)
                .until(() -> Metrics.of(proxy).value("sniproxy_udp_sessions_active", "listener=\"h3\"") == 0);
        assertThat(System.nanoTime()).as("sessions gone within udpSession %s", when).isLessThanOrEqualTo(deadline);
    }

    private static long openFds(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            return fds.count();
        }
    }

    private static String spkiHash(Path cert) throws Exception {
        try (InputStream in = Files.newInputStream(cert)) {
            byte[] spki = CertificateFactory.getInstance("X.509").generateCertificate(in).getPublicKey().getEncoded();
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(spki));
        }
    }

    private void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("openssl.out").toFile())
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: "
                    + Files.readString(dir.resolve("openssl.out")));
        }
    }

    /** One scrape of {@code /q/metrics}: a sample is found by name and label fragments. */
    record Metrics(List<String> lines) {
        static Metrics of(ProxyProcess proxy) throws IOException {
            return new Metrics(proxy.get("/q/metrics").body().lines().toList());
        }

        /** The sum of the samples of {@code name} whose labels contain every fragment (0 when none). */
        double value(String name, String... labelFragments) {
            double sum = 0;
            for (String l : lines) {
                if (l.startsWith(name + "{") && Stream.of(labelFragments).allMatch(l::contains)) {
                    sum += Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
                }
            }
            return sum;
        }
    }
}
