package io.sniproxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Durations as written in the file: short forms, compounds and ISO-8601; and how they are written back. */
class DurationsTest {

    @ParameterizedTest
    @CsvSource(textBlock = """
            500ms,   PT0.5S
            10s,     PT10S
            5m,      PT5M
            2h,      PT2H
            1d,      PT24H
            1h30m,   PT1H30M
            1m30s,   PT1M30S
            1d2h3m4s5ms, PT26H3M4.005S
            0s,      PT0S
            PT10S,   PT10S
            pt10s,   PT10S
            PT1.5S,  PT1.5S
            P1D,     PT24H
            P1DT1H,  PT25H
            -PT5S,   PT-5S
            """)
    void parsesTheDocumentedForms(String text, String iso) {
        assertThat(Durations.parse(text)).contains(Duration.parse(iso));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "s", "1.5s", "5 s", "5S", "5sec", "5min", "1s1m", "1s1s", "1m1h", "-5s", "+5s",
            "5s ", " 5s", "P", "PT", "P1W", "1111111111111s", "PT10S10", "5ms5", "1_000ms"})
    void refusesAnythingElse(String text) {
        assertThat(Durations.parse(text)).isEmpty();
    }

    @Test
    void refusesNullAndOverlongText() {
        assertThat(Durations.parse(null)).isEmpty();
        assertThat(Durations.parse("1" + "0".repeat(40) + "s")).isEmpty();
    }

    @Test
    void hugeIsoValuesAreRefusedNotThrown() {
        assertThat(Durations.parse("PT99999999999999999999H")).isEmpty();
        assertThat(Durations.parse("P9999999999999999D")).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(textBlock = """
            PT0.5S,   500ms
            PT1.5S,   1500ms
            PT10S,    10s
            PT90S,    90s
            PT5M,     5m
            PT90M,    90m
            PT2H,     2h
            PT24H,    1d
            PT168H,   7d
            PT0S,     0s
            """)
    void formatsAsTheShortestExactForm(String iso, String text) {
        assertThat(Durations.format(Duration.parse(iso))).isEqualTo(text);
    }

    @Property(tries = 500)
    void formatThenParseIsTheIdentityForWholeMilliseconds(@ForAll @LongRange(min = 0, max = 7L * 86_400_000) long millis) {
        Duration d = Duration.ofMillis(millis);

        assertThat(Durations.parse(Durations.format(d))).contains(d);
    }

    @Property(tries = 300)
    void compoundFormsAddUp(@ForAll @LongRange(max = 999) long h, @ForAll @LongRange(max = 59) long m,
            @ForAll @LongRange(max = 59) long s, @ForAll @LongRange(max = 999) long ms) {
        String text = h + "h" + m + "m" + s + "s" + ms + "ms";

        assertThat(Durations.parse(text))
                .contains(Duration.ofHours(h).plusMinutes(m).plusSeconds(s).plusMillis(ms));
    }

    @Test
    void aTimeoutInTheFileMustBePositiveWholeMillisecondsAndAtMostAWeek() {
        String listener = "listeners: [{name: a, address: \"127.0.0.1:1\", protocol: tls}]\n";

        assertThat(Rejections.of(listener + """
                timeouts:
                  clientHello: 0s
                  connect: PT0.0005S
                  idle: 8d
                  udpSession: -PT1S
                  drain: 5
                """)).containsExactly(
                "test.yaml:3:16: timeouts.clientHello: must be a positive duration such as 500ms, 10s, 1m30s or PT10S, found '0s'",
                "test.yaml:4:12: timeouts.connect: must be a whole number of milliseconds, found 'PT0.0005S'",
                "test.yaml:5:9: timeouts.idle: must be at most 7d, found '8d'",
                "test.yaml:6:15: timeouts.udpSession: must be a positive duration such as 500ms, 10s, 1m30s or PT10S, found '-PT1S'",
                "test.yaml:7:10: timeouts.drain: must be a positive duration such as 500ms, 10s, 1m30s or PT10S, found '5' (add a unit: 5s)");
    }

    @Test
    void aTimeoutOfExactlyAWeekOrOneMillisecondIsAccepted() throws Exception {
        ProxyConfig c = ConfigReader.read("t", """
                listeners: [{name: a, address: "127.0.0.1:1", protocol: tls}]
                timeouts: {idle: 7d, connect: 1ms, clientHello: P7D}
                """);

        assertThat(c.timeouts().idle()).isEqualTo(Duration.ofDays(7));
        assertThat(c.timeouts().connect()).isEqualTo(Duration.ofMillis(1));
        assertThat(c.timeouts().clientHello()).isEqualTo(Duration.ofDays(7));
    }

    @Test
    void aTimeoutMustBeText() {
        assertThat(Rejections.single("listeners: [{name: a, address: \"127.0.0.1:1\", protocol: tls}]\ntimeouts: {idle: [5s]}\n"))
                .isEqualTo("test.yaml:2:18: timeouts.idle: must be a positive duration such as 500ms, 10s, 1m30s or PT10S, found a list");
    }
}
