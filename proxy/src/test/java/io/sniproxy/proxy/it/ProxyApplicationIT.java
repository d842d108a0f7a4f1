package io.sniproxy.proxy.it;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/**
 * {@link ProxyApplicationTest}'s checks against the packaged proxy: {@code java -jar
 * target/quarkus-app/quarkus-run.jar} (no extra JVM flags: the jar's manifest opens what JDK 25
 * needs), or the {@code -runner} binary when built with {@code -Dnative}. Failsafe runs it in
 * {@code verify}, after {@code package}.
 */
@QuarkusIntegrationTest
class ProxyApplicationIT extends ProxyApplicationTest {
}
