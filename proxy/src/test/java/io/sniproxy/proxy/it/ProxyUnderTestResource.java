package io.sniproxy.proxy.it;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Map;

/**
 * Starts the backends, writes the config file, and hands the proxy its settings the way a user
 * does: {@code sniproxy.config=FILE} (a {@code -D} option of the launched jar or binary under
 * {@code @QuarkusIntegrationTest}). The management interface gets a free loopback port so parallel
 * builds on one machine do not fight over 9000. The test gets the {@link ProxyUnderTest} in its
 * field marked {@link InjectProxy}.
 */
public class ProxyUnderTestResource implements QuarkusTestResourceLifecycleManager {

    /** Marks the test's {@link ProxyUnderTest} field. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface InjectProxy {
    }

    private ProxyUnderTest proxy;

    @Override
    public Map<String, String> start() {
        try {
            proxy = ProxyUnderTest.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the test backends", e);
        }
        String management = String.valueOf(proxy.managementPort);
        return Map.of(
                "sniproxy.config", proxy.configFile.toString(),
                "sniproxy.reload.poll-millis", "200",
                "quarkus.management.host", "127.0.0.1",
                "quarkus.management.port", management,
                "quarkus.management.test-port", management);
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(proxy, new TestInjector.AnnotatedAndMatchesType(InjectProxy.class, ProxyUnderTest.class));
    }

    @Override
    public void stop() {
        if (proxy != null) {
            try {
                proxy.close();
            } catch (Exception e) {
                throw new IllegalStateException("cannot stop the test backends", e);
            }
        }
    }
}
