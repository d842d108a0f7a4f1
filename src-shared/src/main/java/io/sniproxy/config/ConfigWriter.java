package io.sniproxy.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
        List<Object> listeners = new ArrayList<>();
        for (Listener l : config.listeners()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", l.name());
            m.put("address", l.address().toString());
            m.put("protocol", l.protocol().yamlName());
            l.defaultBackend().ifPresent(b -> m.put("defaultBackend", b.toString()));
            listeners.add(m);
        }
        root.put("listeners", listeners);
        List<Object> routes = new ArrayList<>();
        for (Route r : config.routes()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("hostnames", r.hostnames());
            m.put("backend", r.backend().toString());
            if (!r.protocols().isEmpty()) {
                m.put("protocols", r.protocols().stream().sorted().map(Protocol::yamlName).toList());
            }
            m.put("proxyProtocol", r.proxyProtocol().yamlName());
            routes.add(m);
        }
        root.put("routes", routes);
        Timeouts t = config.timeouts();
        Map<String, Object> timeouts = new LinkedHashMap<>();
        timeouts.put("clientHello", Durations.format(t.clientHello()));
        timeouts.put("connect", Durations.format(t.connect()));
        timeouts.put("idle", Durations.format(t.idle()));
        timeouts.put("udpSession", Durations.format(t.udpSession()));
        timeouts.put("drain", Durations.format(t.drain()));
        root.put("timeouts", timeouts);
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("maxConnections", config.limits().maxConnections());
        limits.put("maxClientHelloBytes", config.limits().maxClientHelloBytes());
        limits.put("maxUdpSessions", config.limits().maxUdpSessions());
        root.put("limits", limits);
        root.put("security", Map.of("allowPrivateBackends", config.security().allowPrivateBackends()));
        root.put("accessLog", Map.of("enabled", config.accessLog().enabled()));
        root.put("connectionPool", Map.of("enabled", false));
        try {
            return MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
