package io.sniproxy.proxy.process;

import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.testing.ProxyHarness;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged proxy started exactly as a user starts it: {@code java -jar quarkus-run.jar --config FILE},
 * with no extra JVM flags (the manifest carries the add-opens), or through the launcher
 * {@code bin/sniproxy}. Output goes to a log file the tests read; {@link #close} always kills the process.
 */
final class ProxyProcess implements AutoCloseable {

    static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath();
    /** The repository's launcher (the module directory is the working directory of failsafe). */
    static final Path LAUNCHER = Path.of("../bin/sniproxy").toAbsolutePath().normalize();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final Path log;
    private final int managementPort;

    private ProxyProcess(Process process, Path log, int managementPort) {
        this.process = process;
        this.log = log;
        this.managementPort = managementPort;
    }

    /** Starts and waits until readiness is UP. */
    static ProxyProcess start(Path config, String... jvmProperties) throws IOException {
        return start(config, 200, jvmProperties);
    }

    /** Starts and waits until readiness answers {@code expectedReadyStatus} (503: up but not ready). */
    static ProxyProcess start(Path config, int expectedReadyStatus, String... jvmProperties) throws IOException {
        return start(List.of(), config, expectedReadyStatus, jvmProperties);
    }

    /**
     * Starts under {@code wrapper} (e.g. {@code prlimit --nofile=320:320 --}), which must exec the
     * JVM (same PID), and waits until readiness answers {@code expectedReadyStatus}.
     */
    static ProxyProcess start(List<String> wrapper, Path config, int expectedReadyStatus, String... jvmProperties)
            throws IOException {
        int management = freePort();
        // SIGHUP at its default, as a service manager starts it, whatever this JVM inherited (a CI
        // run under nohup ignores it, and the proxy could not take it back). Tests that want it
        // ignored say so in their wrapper ("nohup").
        List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=HUP"));
        cmd.addAll(wrapper);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Dquarkus.management.port=" + management);
        cmd.addAll(List.of(jvmProperties));
        cmd.addAll(List.of("-jar", JAR.toString(), "--config", config.toString()));
        return start(new ProcessBuilder(cmd), config, management, expectedReadyStatus);
    }

    /**
     * Starts the way the README says: {@code bin/sniproxy --config FILE -Dprop=value ...} from the
     * repository, with this test's JDK as {@code JAVA_HOME}; waits until readiness is UP.
     */
    static ProxyProcess launch(Path config, String... properties) throws IOException {
        return launch(List.of(), config, properties);
    }

    /** {@link #launch(Path, String...)} under {@code wrapper} (e.g. {@code nohup}), which must exec. */
    static ProxyProcess launch(List<String> wrapper, Path config, String... properties) throws IOException {
        int management = freePort();
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of(LAUNCHER.toString(), "--config", config.toString(),
                "-Dquarkus.management.port=" + management));
        cmd.addAll(List.of(properties));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return start(pb, config, management, 200);
    }

    private static ProxyProcess start(ProcessBuilder pb, Path config, int management, int expectedReadyStatus)
            throws IOException {
        Path log = Files.createTempFile(config.getParent(), "proxy", ".log");
        Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ProxyProcess proxy = new ProxyProcess(p, log, management);
        try {
            // Probe the management interface only once Quarkus says it is listening: Vert.x 4.5's
            // TCPServerBase can accept a connection before its listen() has finished and then logs an
            // NPE with a stack trace for it (a start-up race outside our code; the tests that assert
            // "no stack trace in the log" would otherwise catch it).
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !p.isAlive() || proxy.log().contains("Management interface listening"));
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> !p.isAlive() || proxy.readyStatus() == expectedReadyStatus);
            if (!p.isAlive()) {
                throw new IllegalStateException("proxy exited (code " + p.exitValue() + ") during start-up:\n" + proxy.log());
            }
        } catch (RuntimeException e) {
            proxy.close();
            throw e;
        }
        return proxy;
    }

    int readyStatus() {
        try {
            return get("/q/health/ready").statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    HttpResponse<String> get(String path) throws IOException {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    long pid() {
        return process.pid();
    }

    /** The process's open file descriptors now, counted in /proc. */
    long openFds() throws IOException {
        try (var fds = Files.list(Path.of("/proc", String.valueOf(process.pid()), "fd"))) {
            return fds.count();
        }
    }

    /** What the open fds are, by kind ("socket", "pipe", "anon_inode:[eventpoll]", a file's path): for a failure's message. */
    java.util.Map<String, Long> openFdKinds() throws IOException {
        try (var fds = Files.list(Path.of("/proc", String.valueOf(process.pid()), "fd"))) {
            return fds.map(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    return target.replaceFirst(":\\[\\d+]$", "");
                } catch (IOException gone) {
                    return "(closed while listed)";
                }
            }).collect(java.util.stream.Collectors.groupingBy(k -> k, java.util.TreeMap::new,
                    java.util.stream.Collectors.counting()));
        }
    }

    /** CPU time used so far (user + system), in seconds, from /proc/PID/stat (clock ticks of 1/100 s). */
    double cpuSeconds() throws IOException {
        String stat = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime: fields 14 and 15
    }

    /** One sample of {@code /q/metrics}: the value of the series named exactly {@code series}, or NaN. */
    double metric(String series) throws IOException {
        for (String line : get("/q/metrics").body().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return Double.NaN;
    }

    /** The non-zero {@code sniproxy_connections_total} outcomes of {@code listener}, by outcome (for messages). */
    java.util.Map<String, Double> outcomes(String listener) throws IOException {
        java.util.Map<String, Double> out = new java.util.TreeMap<>();
        String prefix = "sniproxy_connections_total{listener=\"" + listener + "\",outcome=\"";
        for (String line : get("/q/metrics").body().split("\n")) {
            if (line.startsWith(prefix)) {
                double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                if (v != 0) {
                    out.put(line.substring(prefix.length(), line.indexOf('"', prefix.length())), v);
                }
            }
        }
        return out;
    }

    void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " failed");
        }
    }

    boolean awaitExit(Duration bound) throws InterruptedException {
        return process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean alive() {
        return process.isAlive();
    }

    String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Free for TCP and UDP alike (QUIC listeners), see {@link ProxyHarness#freePort()}. */
    static int freePort() throws IOException {
        return ProxyHarness.freePort();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
