package io.sniproxy.config;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The one place the file's shape is declared: each section lists its keys once, with type, default,
 * allowed values (derived from the enums) and range. The binder checks keys and values against it,
 * the writer emits its names, the validator its ranges, the reader's locator its aliases, and the
 * operator's renderer its paths; {@code SchemaDocumentationTest} holds docs/configuration.md to it.
 */
public final class ConfigSchema {

    private ConfigSchema() {
    }

    /** What a key holds, as the docs name it. */
    public enum Type {
        TEXT, ADDRESS, BACKEND, BACKEND_LIST, HOSTNAME_LIST, ENUM, ENUM_LIST, DURATION, NUMBER, BOOLEAN, CIDR_LIST,
        ALPN_LIST, MAPPING, MAPPING_LIST
    }

    /** An inclusive range of whole numbers. */
    public record Range(long min, long max) {
        public boolean contains(long v) {
            return v >= min && v <= max;
        }

        public String requirement() {
            return "must be a whole number from " + min + " to " + max;
        }
    }

    /**
     * One key. {@code dflt} is the value when the key is absent (null: required, or no default);
     * {@code allowed} lists the values an enum key accepts, in the enum's order.
     */
    public record Key<T>(String name, Type type, boolean required, T dflt, List<String> allowed, Range range,
            Function<String, Optional<T>> parser) {

        public Key {
            allowed = List.copyOf(allowed);
        }

        static <T> Key<T> of(String name, Type type, T dflt) {
            return new Key<>(name, type, false, dflt, List.of(), null, null);
        }

        static <T> Key<T> required(String name, Type type) {
            return new Key<>(name, type, true, null, List.of(), null, null);
        }

        static Key<Integer> number(String name, Integer dflt, long min, long max) {
            return new Key<>(name, Type.NUMBER, false, dflt, List.of(), new Range(min, max), null);
        }

        /** An enum key accepting {@code values} (all of the enum unless narrowed, like route protocols). */
        @SafeVarargs
        static <E extends Enum<E> & ConfigEnum> Key<E> oneOf(String name, Type type, boolean required, E dflt,
                Class<E> enumType, E... values) {
            List<E> accepted = values.length == 0 ? List.of(enumType.getEnumConstants()) : List.of(values);
            return new Key<>(name, type, required, dflt, accepted.stream().map(ConfigEnum::yamlName).toList(), null,
                    text -> ConfigEnum.parse(enumType, text).filter(accepted::contains));
        }

        /** The enum value {@code text} names, if this key accepts it. */
        public Optional<T> parse(String text) {
            return parser == null ? Optional.empty() : parser.apply(text);
        }

        /** "tls, http, quic, auto" for messages. */
        public String allowedText() {
            return String.join(", ", allowed);
        }
    }

    /** A mapping's keys, in the order the writer emits them and the docs list them. */
    public record Section(String name, List<Key<?>> keys) {
        public Section {
            keys = List.copyOf(keys);
        }

        public Set<String> keyNames() {
            Set<String> names = new LinkedHashSet<>();
            keys.forEach(k -> names.add(k.name()));
            return names;
        }
    }

    /** {@code listeners[]}. */
    public static final class Listeners {
        public static final Key<String> NAME = Key.required("name", Type.TEXT);
        public static final Key<HostPort> ADDRESS = Key.required("address", Type.ADDRESS);
        public static final Key<Protocol> PROTOCOL = Key.oneOf("protocol", Type.ENUM, true, null, Protocol.class);
        public static final Key<Backend> DEFAULT_BACKEND = Key.of("defaultBackend", Type.BACKEND, null);
        public static final Key<AcceptProxyProtocol> ACCEPT_PROXY_PROTOCOL = Key.oneOf("acceptProxyProtocol",
                Type.ENUM, false, AcceptProxyProtocol.NONE, AcceptProxyProtocol.class);
        public static final Key<List<Cidr>> TRUSTED_PROXIES = Key.of("trustedProxies", Type.CIDR_LIST, List.of());
        public static final Section SECTION = new Section("listeners[]",
                List.of(NAME, ADDRESS, PROTOCOL, DEFAULT_BACKEND, ACCEPT_PROXY_PROTOCOL, TRUSTED_PROXIES));

        private Listeners() {
        }
    }

    /** {@code routes[].healthCheck}. */
    public static final class HealthChecks {
        public static final Key<Duration> INTERVAL = Key.of("interval", Type.DURATION, HealthCheck.DEFAULTS.interval());
        public static final Key<Duration> TIMEOUT = Key.of("timeout", Type.DURATION, HealthCheck.DEFAULTS.timeout());
        public static final Key<Integer> RISE = Key.number("rise", HealthCheck.DEFAULTS.rise(), 1, 100);
        public static final Key<Integer> FALL = Key.number("fall", HealthCheck.DEFAULTS.fall(), 1, 100);
        public static final Section SECTION = new Section("routes[].healthCheck", List.of(INTERVAL, TIMEOUT, RISE, FALL));

        private HealthChecks() {
        }
    }

    /** {@code routes[]}. */
    public static final class Routes {
        public static final Key<List<String>> HOSTNAMES = Key.required("hostnames", Type.HOSTNAME_LIST);
        /** The one-element form of {@link #BACKENDS}; exactly one of the two is given. */
        public static final Key<Backend> BACKEND = Key.of("backend", Type.BACKEND, null);
        public static final Key<List<Backend>> BACKENDS = Key.of("backends", Type.BACKEND_LIST, null);
        public static final Key<Balance> BALANCE = Key.oneOf("balance", Type.ENUM, false, Balance.DEFAULT, Balance.class);
        public static final Key<HealthCheck> HEALTH_CHECK = Key.of("healthCheck", Type.MAPPING, null);
        public static final Key<List<String>> ALPN = Key.of("alpn", Type.ALPN_LIST, List.of());
        public static final Key<Protocol> PROTOCOLS = Key.oneOf("protocols", Type.ENUM_LIST, false, null,
                Protocol.class, Protocol.TLS, Protocol.HTTP, Protocol.QUIC);
        public static final Key<ProxyProtocol> PROXY_PROTOCOL = Key.oneOf("proxyProtocol", Type.ENUM, false,
                ProxyProtocol.NONE, ProxyProtocol.class);
        public static final Section SECTION = new Section("routes[]",
                List.of(HOSTNAMES, BACKEND, BACKENDS, BALANCE, HEALTH_CHECK, ALPN, PROTOCOLS, PROXY_PROTOCOL));

        private Routes() {
        }
    }

    /** {@code timeouts}: each a positive duration of at most {@link #MAX}, in whole milliseconds. */
    public static final class TimeoutKeys {
        public static final Duration MAX = Duration.ofDays(7);
        public static final Key<Duration> CLIENT_HELLO = Key.of("clientHello", Type.DURATION, Timeouts.DEFAULTS.clientHello());
        public static final Key<Duration> CONNECT = Key.of("connect", Type.DURATION, Timeouts.DEFAULTS.connect());
        public static final Key<Duration> IDLE = Key.of("idle", Type.DURATION, Timeouts.DEFAULTS.idle());
        public static final Key<Duration> UDP_SESSION = Key.of("udpSession", Type.DURATION, Timeouts.DEFAULTS.udpSession());
        public static final Key<Duration> DRAIN = Key.of("drain", Type.DURATION, Timeouts.DEFAULTS.drain());
        public static final Section SECTION = new Section("timeouts", List.of(CLIENT_HELLO, CONNECT, IDLE, UDP_SESSION, DRAIN));

        private TimeoutKeys() {
        }
    }

    /** {@code limits.perClient}: no defaults for the limits themselves, each absent one is off. */
    public static final class PerClient {
        public static final Key<Integer> MAX_CONNECTIONS = Key.number("maxConnections", null, 1, 10_000_000);
        public static final Key<Integer> NEW_CONNECTIONS_PER_SECOND = Key.number("newConnectionsPerSecond", null, 1,
                1_000_000);
        public static final Key<Integer> BURST = Key.number("burst", null, 1, 10_000_000);
        public static final Key<Integer> IPV6_PREFIX = Key.number("ipv6Prefix", PerClientLimits.DEFAULT_IPV6_PREFIX, 1, 128);
        public static final Section SECTION = new Section("limits.perClient",
                List.of(MAX_CONNECTIONS, NEW_CONNECTIONS_PER_SECOND, BURST, IPV6_PREFIX));

        private PerClient() {
        }
    }

    /** {@code limits}. */
    public static final class LimitKeys {
        public static final Key<Integer> MAX_CONNECTIONS = Key.number("maxConnections", Limits.DEFAULTS.maxConnections(),
                1, 10_000_000);
        public static final Key<Integer> MAX_CLIENT_HELLO_BYTES = Key.number("maxClientHelloBytes",
                Limits.DEFAULTS.maxClientHelloBytes(), 512, 1 << 20);
        public static final Key<Integer> MAX_UDP_SESSIONS = Key.number("maxUdpSessions", Limits.DEFAULTS.maxUdpSessions(),
                1, 10_000_000);
        public static final Key<PerClientLimits> PER_CLIENT = Key.of("perClient", Type.MAPPING, null);
        public static final Section SECTION = new Section("limits",
                List.of(MAX_CONNECTIONS, MAX_CLIENT_HELLO_BYTES, MAX_UDP_SESSIONS, PER_CLIENT));

        private LimitKeys() {
        }
    }

    /** {@code security}. */
    public static final class SecurityKeys {
        public static final Key<Boolean> ALLOW_PRIVATE_BACKENDS = Key.of("allowPrivateBackends", Type.BOOLEAN,
                Security.DEFAULTS.allowPrivateBackends());
        public static final Section SECTION = new Section("security", List.of(ALLOW_PRIVATE_BACKENDS));

        private SecurityKeys() {
        }
    }

    /** {@code accessLog}. */
    public static final class AccessLogKeys {
        public static final Key<Boolean> ENABLED = Key.of("enabled", Type.BOOLEAN, AccessLog.DEFAULTS.enabled());
        public static final Section SECTION = new Section("accessLog", List.of(ENABLED));

        private AccessLogKeys() {
        }
    }

    /** {@code connectionPool}: exists only to say no (see {@code ConfigBinder.POOLING_REJECTED}). */
    public static final class ConnectionPoolKeys {
        public static final Key<Boolean> ENABLED = new Key<>("enabled", Type.BOOLEAN, false, false, List.of("false"),
                null, null);
        public static final Section SECTION = new Section("connectionPool", List.of(ENABLED));

        private ConnectionPoolKeys() {
        }
    }

    /** The document itself. */
    public static final class Root {
        public static final Key<List<Listener>> LISTENERS = Key.required("listeners", Type.MAPPING_LIST);
        public static final Key<List<Route>> ROUTES = Key.of("routes", Type.MAPPING_LIST, List.of());
        public static final Key<Timeouts> TIMEOUTS = Key.of("timeouts", Type.MAPPING, Timeouts.DEFAULTS);
        public static final Key<Limits> LIMITS = Key.of("limits", Type.MAPPING, Limits.DEFAULTS);
        public static final Key<Security> SECURITY = Key.of("security", Type.MAPPING, Security.DEFAULTS);
        public static final Key<AccessLog> ACCESS_LOG = Key.of("accessLog", Type.MAPPING, AccessLog.DEFAULTS);
        public static final Key<Boolean> CONNECTION_POOL = Key.of("connectionPool", Type.MAPPING, null);
        public static final Section SECTION = new Section("",
                List.of(LISTENERS, ROUTES, TIMEOUTS, LIMITS, SECURITY, ACCESS_LOG, CONNECTION_POOL));

        private Root() {
        }
    }

    /** Every section, for documentation and its test. */
    public static List<Section> sections() {
        return List.of(Root.SECTION, Listeners.SECTION, Routes.SECTION, HealthChecks.SECTION, TimeoutKeys.SECTION,
                LimitKeys.SECTION, PerClient.SECTION, SecurityKeys.SECTION, AccessLogKeys.SECTION,
                ConnectionPoolKeys.SECTION);
    }
}
