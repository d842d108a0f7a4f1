package io.sniproxy.proxy.app;

import io.sniproxy.config.ConfigError;
import io.sniproxy.config.ConfigException;
import io.sniproxy.config.ConfigReader;
import io.sniproxy.config.ProxyConfig;
import io.sniproxy.proxy.fd.FdBudget;
import io.sniproxy.proxy.fd.FdReserve;
import io.sniproxy.proxy.metrics.FileDescriptors;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code --check FILE}: reads and validates a config the way the proxy would at start-up, binds
 * nothing and starts nothing (no Quarkus, no event loops), so a CI job or a GitOps pipeline can gate
 * a change on it in well under a second, like {@code nginx -t} or {@code haproxy -c}.
 *
 * <p>Exit status: {@link #VALID} with a summary of what the file would do on stdout; {@link #INVALID}
 * with every problem on stderr as {@code file:line:col: path: message}; {@link #UNREADABLE} when the
 * file cannot be read at all (missing, a directory, no permission, not UTF-8, larger than the reader
 * takes). {@code -} reads the file from stdin.
 */
public final class ConfigCheck {

    public static final int VALID = 0;
    public static final int INVALID = 1;
    public static final int UNREADABLE = 2;

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream stdin;

    public ConfigCheck(PrintStream out, PrintStream err, InputStream stdin) {
        this.out = out;
        this.err = err;
        this.stdin = stdin;
    }

    /** Checks {@code file} ({@code -}: stdin) and returns the exit status. */
    public int run(String file) {
        String source;
        String text;
        try {
            if (file.equals("-")) {
                source = "<stdin>";
                text = readStdin();
            } else {
                source = file;
                text = ConfigReader.readText(Path.of(file));
            }
        } catch (ConfigException e) {
            e.errors().forEach(err::println);
            return UNREADABLE;
        } catch (CharacterCodingException e) {
            err.println("<stdin>: cannot read: the input is not UTF-8 text");
            return UNREADABLE;
        } catch (IOException | RuntimeException e) {
            err.println(file + ": cannot read: " + e.getMessage());
            return UNREADABLE;
        }
        ProxyConfig config;
        try {
            config = ConfigReader.read(source, text);
        } catch (ConfigException e) {
            List<ConfigError> errors = e.errors();
            errors.forEach(err::println);
            err.println(source + ": " + errors.size() + (errors.size() == 1 ? " problem" : " problems")
                    + "; the proxy would refuse this file (at a reload, the running config would stay in force)");
            return INVALID;
        }
        out.println(source + ": valid");
        ConfigSummary.lines(config, fdBudget(config)).forEach(out::println);
        return VALID;
    }

    /**
     * The effective limits as a proxy started here would derive them at start-up (the same
     * {@link FdBudget}, this process's {@code RLIMIT_NOFILE}, the {@link EventLoops} it would run); the
     * process's own baseline is this small JVM's, so the reserve is an estimate.
     */
    private static FdBudget fdBudget(ProxyConfig config) {
        boolean tcp = config.listeners().stream().anyMatch(l -> l.protocol().isTcp());
        boolean udp = config.listeners().stream().anyMatch(l -> !l.protocol().isTcp());
        FdReserve reserve = FdReserve.measure(EventLoops.effective(System.getenv()));
        return FdBudget.derive(config.limits(), tcp, udp, FileDescriptors.max(),
                reserve.forListeners(config.listeners().size()));
    }

    private String readStdin() throws IOException {
        byte[] bytes = stdin.readNBytes(ConfigReader.MAX_FILE_BYTES + 1);
        if (bytes.length > ConfigReader.MAX_FILE_BYTES) {
            throw new IOException("the input is larger than " + ConfigReader.MAX_FILE_BYTES + " bytes");
        }
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(java.nio.ByteBuffer.wrap(bytes))
                .toString();
    }
}
