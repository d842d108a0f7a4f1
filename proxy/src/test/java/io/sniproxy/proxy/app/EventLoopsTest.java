package io.sniproxy.proxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The packaged proxy's event-loop count: one per core by default, the user's setting where given. */
class EventLoopsTest {

    private static final int DEFAULT = EventLoops.forCores(Runtime.getRuntime().availableProcessors());

    @AfterEach
    void clearProperty() {
        System.clearProperty(EventLoops.PROPERTY);
    }

    @Test
    void onePerCoreAndNeverNone() {
        assertThat(EventLoops.forCores(0)).isEqualTo(1);
        assertThat(EventLoops.forCores(1)).isEqualTo(1);
        assertThat(EventLoops.forCores(2)).isEqualTo(2);
        assertThat(EventLoops.forCores(16)).isEqualTo(16);
    }

    @Test
    void withNothingSetTheDefaultIsUsed() {
        assertThat(EventLoops.chosen(Map.of())).isFalse();
        assertThat(EventLoops.effective(Map.of())).isEqualTo(DEFAULT);
    }

    @Test
    void theEnvironmentVariableIsTheUsersChoice() {
        Map<String, String> env = Map.of(EventLoops.ENVIRONMENT, "6");
        assertThat(EventLoops.chosen(env)).isTrue();
        assertThat(EventLoops.effective(env)).isEqualTo(6);
    }

    @Test
    void theSystemPropertyWinsOverTheEnvironment() {
        System.setProperty(EventLoops.PROPERTY, "3");
        Map<String, String> env = Map.of(EventLoops.ENVIRONMENT, "6");
        assertThat(EventLoops.chosen(env)).isTrue();
        assertThat(EventLoops.effective(env)).isEqualTo(3);
    }

    @Test
    void aChoiceThatIsNoPositiveNumberLeavesTheEstimateAtTheDefault() {
        assertThat(EventLoops.effective(Map.of(EventLoops.ENVIRONMENT, "many"))).isEqualTo(DEFAULT);
        assertThat(EventLoops.effective(Map.of(EventLoops.ENVIRONMENT, "0"))).isEqualTo(DEFAULT);
        assertThat(EventLoops.effective(Map.of(EventLoops.ENVIRONMENT, " 5 "))).isEqualTo(5);
    }
}
