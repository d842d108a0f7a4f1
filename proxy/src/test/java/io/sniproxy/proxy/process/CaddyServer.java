package io.sniproxy.proxy.process;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Caddy as a real HTTP/3 server on 127.0.0.1 (HTTP/3 on, automatic HTTPS off, the given
 * certificate): {@code /} serves {@code index.html} from {@code site}, {@code /n/*} answers with the
 * HTTP version the request came in (Caddy's own view: {@code HTTP/3.0}), and
 * every request is logged as JSON to {@link #accessLog()}. Its state stays inside {@code dir}.
 */
final class CaddyServer implements AutoCloseable {

    private final Process process;
    private final Path accessLog;
    private final Path output;
    final int port;

    private CaddyServer(Process process, Path accessLog, Path output, int port) {
        this.process = process;
        this.accessLog = accessLog;
        this.output = output;
        this.port = port;
    }

    static CaddyServer start(Path dir, Path site, Path cert, Path key, List<String> hostnames) throws IOException {
        int port = ProxyProcess.freePort();
        Path log = dir.resolve("caddy-access.log");
        StringBuilder sites = new StringBuilder();
        for (String h : hostnames) {
            // no port in the site address: Caddy picks a site's logger by the Host header, which has none
            sites.append(sites.isEmpty() ? "" : ", ").append("https://").append(h);
        }
        String caddyfile = """
                {
                	admin off
                	auto_https off
                	https_port %d
                	servers {
                		protocols h1 h2 h3
                	}
                }
                %s {
                	bind 127.0.0.1
                	tls %s %s
                	log {
                		output file %s
                		format json
                	}
                	handle /n/* {
                		respond "{http.request.proto}"
                	}
                	handle {
                		root * %s
                		file_server
                	}
                }
                """.formatted(port, sites, cert, key, log, site);
        Path file = dir.resolve("Caddyfile");
        Files.writeString(file, caddyfile, StandardCharsets.UTF_8);
        Path output = dir.resolve("caddy.out");
        ProcessBuilder pb = new ProcessBuilder("caddy", "run", "--config", file.toString(), "--adapter", "caddyfile")
                .redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().put("XDG_CONFIG_HOME", dir.resolve("xdg-config").toString());
        pb.environment().put("XDG_DATA_HOME", dir.resolve("xdg-data").toString());
        Process p = pb.start();
        CaddyServer caddy = new CaddyServer(p, log, output, port);
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !p.isAlive() || listening(port));
            if (!p.isAlive()) {
                throw new IllegalStateException("caddy exited during start-up:\n" + caddy.output());
            }
        } catch (RuntimeException e) {
            caddy.close();
            throw e;
        }
        return caddy;
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** One JSON object per request Caddy handled. */
    List<String> accessLog() throws IOException {
        return Files.exists(accessLog) ? Files.readAllLines(accessLog, StandardCharsets.UTF_8) : List.of();
    }

    String output() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
