package io.sniproxy.proxy.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's Chromium, headless, loading one page over QUIC: {@code --origin-to-force-quic-on} makes
 * HTTP/3 the only way to the origin, {@code --host-resolver-rules} sends the name to the proxy's
 * address, and the test certificate is accepted by its key hash. The flags that keep it off the
 * network (no background requests, no component updates, no sync) are the ones this closed
 * network needs. Each load gets a new empty profile: a new QUIC connection, nothing resumed.
 */
final class HeadlessChromium {

    private HeadlessChromium() {
    }

    /**
     * What a load printed ({@code --dump-dom}: the DOM after the page's scripts ran), what it logged
     * and how long it took.
     */
    record Load(String dom, String log, long millis, long exitedNanos) {

        /**
         * Chromium's network error code ({@code ERR_…}), or null when the page loaded. Chromium up to
         * 155 dumps its error page (the code in its {@code loadTimeData}); from 156 the headless mode
         * dumps nothing for a failed load and logs {@code Page load failed: net::ERR_…} instead.
         */
        String errorCode() {
            int at = dom.indexOf(ERROR_PAGE_CODE);
            if (at >= 0) {
                int from = at + ERROR_PAGE_CODE.length();
                return dom.substring(from, dom.indexOf('"', from));
            }
            Matcher logged = LOGGED_FAILURE.matcher(log);
            return logged.find() ? logged.group(1) : null;
        }
    }

    private static final String ERROR_PAGE_CODE = "\"errorCode\":\"";
    private static final Pattern LOGGED_FAILURE = Pattern.compile("Page load failed: net::(ERR_[A-Z0-9_]+)");

    static Load load(Path dir, String url, String origin, int proxyPort, String spkiHash) throws Exception {
        Path profile = Files.createTempDirectory(dir, "chromium-profile");
        Path stderr = dir.resolve(profile.getFileName() + ".err");
        List<String> cmd = new ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile,
                "--origin-to-force-quic-on=" + origin + ":443",
                "--host-resolver-rules=MAP " + origin + ":443 127.0.0.1:" + proxyPort,
                "--ignore-certificate-errors-spki-list=" + spkiHash,
                "--virtual-time-budget=5000",
                "--dump-dom", url));
        long started = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("chromium did not finish loading " + url);
        }
        long exited = System.nanoTime();
        return new Load(new String(out, StandardCharsets.UTF_8), Files.readString(stderr, StandardCharsets.UTF_8),
                TimeUnit.NANOSECONDS.toMillis(exited - started), exited);
    }

    static void requireInstalled() throws IOException, InterruptedException {
        for (String tool : List.of("chromium", "caddy", "openssl")) {
            Process p = new ProcessBuilder("sh", "-c", "command -v " + tool).start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException(tool + " is not installed: .ci/run installs it "
                        + "(apt-get install chromium caddy openssl)");
            }
        }
    }
}
