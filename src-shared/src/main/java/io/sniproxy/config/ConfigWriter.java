package io.sniproxy.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a config as the YAML file the proxy reads. Output is a pure function of the records (fixed
 * key order, no timestamps), so the operator's config hash changes only when the content does.
 * {@code connectionPool.enabled: false} is always written, so a reader of the file sees the rule.
 */
public final class ConfigWriter {

    private static final YAMLMapper MAPPER = YAMLMapper.builder(YAMLFactory.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                    .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
                    .build())
            .build();

    private ConfigWriter() {
    }

    public static String toYaml(ProxyConfig config) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put(ConfigSchema.Root.LISTENERS.name(), config.listeners().stream().map(ConfigWriter::listener).toList());
        root.put(ConfigSchema.Root.ROUTES.name(), config.routes().stream().map(ConfigWriter::route).toList());
        root.put(ConfigSchema.Root.TIMEOUTS.name(), timeouts(config.timeouts()));
        root.put(ConfigSchema.Root.LIMITS.name(), limits(config.limits()));
        root.put(ConfigSchema.Root.SECURITY.name(), Map.of(ConfigSchema.SecurityKeys.ALLOW_PRIVATE_BACKENDS.name(),
                config.security().allowPrivateBackends()));
        root.put(ConfigSchema.Root.ACCESS_LOG.name(), Map.of(ConfigSchema.AccessLogKeys.ENABLED.name(),
                config.accessLog().enabled()));
        root.put(ConfigSchema.Root.CONNECTION_POOL.name(), Map.of(ConfigSchema.ConnectionPoolKeys.ENABLED.name(), false));
        try {
            return MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> listener(Listener l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(ConfigSchema.Listeners.NAME.name(), l.name());
        m.put(ConfigSchema.Listeners.ADDRESS.name(), l.address().toString());
        m.put(ConfigSchema.Listeners.PROTOCOL.name(), l.protocol().yamlName());
        l.defaultBackend().ifPresent(b -> m.put(ConfigSchema.Listeners.DEFAULT_BACKEND.name(), b.toString()));
        if (l.acceptProxyProtocol() != ConfigSchema.Listeners.ACCEPT_PROXY_PROTOCOL.dflt()) {
            m.put(ConfigSchema.Listeners.ACCEPT_PROXY_PROTOCOL.name(), l.acceptProxyProtocol().yamlName());
        }
        if (!l.trustedProxies().isEmpty()) {
            m.put(ConfigSchema.Listeners.TRUSTED_PROXIES.name(), l.trustedProxies().stream().map(Cidr::toString).toList());
        }
        return m;
    }

    /** One backend as {@code backend:} (the form every existing file uses), several as {@code backends:}. */
    private static Map<String, Object> route(Route r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(ConfigSchema.Routes.HOSTNAMES.name(), r.hostnames());
        if (r.backends().size() == 1) {
            m.put(ConfigSchema.Routes.BACKEND.name(), r.backends().get(0).toString());
        } else {
            m.put(ConfigSchema.Routes.BACKENDS.name(), r.backends().stream().map(Backend::toString).toList());
        }
        if (r.balance() != ConfigSchema.Routes.BALANCE.dflt()) {
            m.put(ConfigSchema.Routes.BALANCE.name(), r.balance().yamlName());
        }
        r.healthCheck().ifPresent(hc -> {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put(ConfigSchema.HealthChecks.INTERVAL.name(), Durations.format(hc.interval()));
            h.put(ConfigSchema.HealthChecks.TIMEOUT.name(), Durations.format(hc.timeout()));
            h.put(ConfigSchema.HealthChecks.RISE.name(), hc.rise());
            h.put(ConfigSchema.HealthChecks.FALL.name(), hc.fall());
            m.put(ConfigSchema.Routes.HEALTH_CHECK.name(), h);
        });
        if (!r.alpn().isEmpty()) {
            m.put(ConfigSchema.Routes.ALPN.name(), r.alpn());
        }
        if (!r.protocols().isEmpty()) {
            m.put(ConfigSchema.Routes.PROTOCOLS.name(), r.protocols().stream().sorted().map(Protocol::yamlName).toList());
        }
        m.put(ConfigSchema.Routes.PROXY_PROTOCOL.name(), r.proxyProtocol().yamlName());
        return m;
    }

    private static Map<String, Object> timeouts(Timeouts t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(ConfigSchema.TimeoutKeys.CLIENT_HELLO.name(), Durations.format(t.clientHello()));
        m.put(ConfigSchema.TimeoutKeys.CONNECT.name(), Durations.format(t.connect()));
        m.put(ConfigSchema.TimeoutKeys.IDLE.name(), Durations.format(t.idle()));
        m.put(ConfigSchema.TimeoutKeys.UDP_SESSION.name(), Durations.format(t.udpSession()));
        m.put(ConfigSchema.TimeoutKeys.DRAIN.name(), Durations.format(t.drain()));
        return m;
    }

    private static Map<String, Object> limits(Limits l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(ConfigSchema.LimitKeys.MAX_CONNECTIONS.name(), l.maxConnections());
        m.put(ConfigSchema.LimitKeys.MAX_CLIENT_HELLO_BYTES.name(), l.maxClientHelloBytes());
        m.put(ConfigSchema.LimitKeys.MAX_UDP_SESSIONS.name(), l.maxUdpSessions());
        l.perClient().ifPresent(p -> {
            Map<String, Object> pc = new LinkedHashMap<>();
            p.maxConnections().ifPresent(v -> pc.put(ConfigSchema.PerClient.MAX_CONNECTIONS.name(), v));
            p.newConnectionsPerSecond().ifPresent(v -> pc.put(ConfigSchema.PerClient.NEW_CONNECTIONS_PER_SECOND.name(), v));
            p.burst().ifPresent(v -> pc.put(ConfigSchema.PerClient.BURST.name(), v));
            pc.put(ConfigSchema.PerClient.IPV6_PREFIX.name(), p.ipv6Prefix());
            m.put(ConfigSchema.LimitKeys.PER_CLIENT.name(), pc);
        });
        return m;
    }
}
