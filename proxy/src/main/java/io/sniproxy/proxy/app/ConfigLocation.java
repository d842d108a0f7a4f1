package io.sniproxy.proxy.app;

import io.sniproxy.config.ConfigException;
import io.sniproxy.config.ConfigReader;
import io.sniproxy.config.ProxyConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Where the config comes from: {@code -Dsniproxy.config} (or {@code --config}), then env
 * {@code SNIPROXY_CONFIG}, else the built-in loopback-only default shipped in the jar.
 */
public final class ConfigLocation {

    public static final String PROPERTY = "sniproxy.config";
    public static final String ENV = "SNIPROXY_CONFIG";
    static final String DEFAULT_RESOURCE = "sniproxy-default.yaml";

    private ConfigLocation() {
    }

    /**
     * The file to read and watch, or empty for the built-in default. Read through MicroProfile Config,
     * whose sources already rank system properties over the environment ({@code SNIPROXY_CONFIG} is
     * its environment spelling of {@code sniproxy.config}); that also lets a Quarkus test resource or
     * {@code application.properties} name the file, which a bare {@code System.getProperty} misses.
     */
    public static Optional<Path> file() {
        Optional<String> p = ConfigProvider.getConfig().getOptionalValue(PROPERTY, String.class);
        if (p.isEmpty()) {
            p = Optional.ofNullable(System.getenv(ENV));
        }
        return p.filter(s -> !s.isBlank()).map(Path::of);
    }

    public static ProxyConfig load() throws ConfigException {
        Optional<Path> file = file();
        if (file.isPresent()) {
            return ConfigReader.read(file.get());
        }
        return builtInDefault();
    }

    public static ProxyConfig builtInDefault() throws ConfigException {
        try (InputStream in = ConfigLocation.class.getClassLoader().getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("built-in default config missing from the jar");
            }
            return ConfigReader.read("(built-in default)", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
