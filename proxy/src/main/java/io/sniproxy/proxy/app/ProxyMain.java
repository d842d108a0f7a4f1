package io.sniproxy.proxy.app;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Entry point of the packaged proxy. Accepts {@code --config FILE} (the same as
 * {@code -Dsniproxy.config=FILE} or env {@code SNIPROXY_CONFIG}), {@code --check FILE} (validate and
 * exit, before anything of Quarkus starts) and {@code --help}.
 */
@QuarkusMain
public final class ProxyMain {

    ProxyMain() {
        // Quarkus registers @QuarkusMain classes as beans; package-private avoids reflection.
    }

    public static void main(String... args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                System.out.println("""
                        usage: java -jar quarkus-run.jar [--config FILE]
                               java -jar quarkus-run.jar --check FILE
                          --config FILE   the proxy's YAML config (also: -Dsniproxy.config=FILE, env SNIPROXY_CONFIG);
                                          without one, a built-in loopback-only default is used
                          --check FILE    validate FILE ('-': stdin) and exit, binding nothing: every problem as
                                          file:line:col: message, or a summary of what it would do;
                                          exit 0 valid, 1 invalid, 2 unreadable
                          any Quarkus property may be set with -D, e.g. -Dquarkus.management.port=9000""");
                return;
            }
            if (a.equals("--check") || a.startsWith("--check=")) {
                String file = a.startsWith("--check=") ? a.substring("--check=".length())
                        : i + 1 < args.length ? args[i + 1] : null;
                if (file == null || file.isEmpty()) {
                    System.err.println("--check needs a FILE (or '-' for stdin)");
                    System.exit(ConfigCheck.UNREADABLE);
                }
                // Exits before Quarkus.run(): nothing is bound, no event loop or CDI container starts.
                System.exit(new ConfigCheck(System.out, System.err, System.in).run(file));
            }
            if (a.equals("--config") && i + 1 < args.length) {
                System.setProperty(ConfigLocation.PROPERTY, args[++i]);
            } else if (a.startsWith("--config=")) {
                System.setProperty(ConfigLocation.PROPERTY, a.substring("--config=".length()));
            } else {
                System.err.println("unknown argument '" + a + "' (try --help)");
                System.exit(2);
            }
        }
        // One event loop per core (Quarkus defaults to two): EventLoops says why. The user's own -D
        // or environment setting wins.
        if (!EventLoops.chosen(System.getenv())) {
            System.setProperty(EventLoops.PROPERTY,
                    String.valueOf(EventLoops.forCores(Runtime.getRuntime().availableProcessors())));
        }
        // Before Quarkus starts, while the fast-jar's loader may still open jars freely.
        FastJarPreload.run();
        Quarkus.run();
    }
}
