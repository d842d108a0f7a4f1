package io.sniproxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The hostname rules the proxy, the config reader and the operator share. */
class HostnamesTest {

    @ParameterizedTest
    @CsvSource(textBlock = """
            Example.COM,    example.com
            example.com.,   example.com
            EXAMPLE.COM.,   example.com
            *.Example.Org., *.example.org
            a,              a
            .,              ''
            example.com..,  example.com.
            """)
    void normalisesCaseAndOneTrailingDot(String name, String normalised) {
        assertThat(Hostnames.normalize(name)).isEqualTo(normalised);
    }

    @Test
    void normalisingIsAsciiOnlyAndLocaleIndependent() {
        // A Turkish default locale must not turn 'I' into a dotless 'ı'.
        java.util.Locale previous = java.util.Locale.getDefault();
        try {
            java.util.Locale.setDefault(java.util.Locale.forLanguageTag("tr-TR"));
            assertThat(Hostnames.normalize("WIKI.EXAMPLE")).isEqualTo("wiki.example");
        } finally {
            java.util.Locale.setDefault(previous);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "a", "xn--bcher-kva.de", "a-b.example", "123.example.com", "EXAMPLE.com",
            "localhost"})
    void validNames(String name) {
        assertThat(Hostnames.nameProblem(name)).isEmpty();
        assertThat(Hostnames.isValidName(name)).isTrue();
        assertThat(Hostnames.patternProblem(name)).isEmpty();
        assertThat(Hostnames.patternProblem("*." + name)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            ''                 | it is empty
            a..b               | empty label
            .a                 | empty label
            a.                 | empty label
            -a                 | a label starts or ends with '-'
            a-                 | a label starts or ends with '-'
            a_b                | character '_' is not allowed (letters, digits, '-' and '.')
            a b                | character ' ' is not allowed (letters, digits, '-' and '.')
            *.a                | character '*' is not allowed (letters, digits, '-' and '.')
            """)
    void invalidNames(String name, String problem) {
        assertThat(Hostnames.nameProblem(name)).contains(problem);
        assertThat(Hostnames.isValidName(name)).isFalse();
    }

    @Test
    void controlCharactersAreShownEscaped() {
        assertThat(Hostnames.nameProblem("a\u0000b")).contains("character '\\u0000' is not allowed (letters, digits, '-' and '.')");
        assertThat(Hostnames.patternProblem("a\nb")).get().asString().doesNotContain("\n").contains("'a\\u000ab'");
    }

    @Test
    void lengthLimits() {
        assertThat(Hostnames.nameProblem("a".repeat(63))).isEmpty();
        assertThat(Hostnames.nameProblem("a".repeat(64))).contains("label longer than 63 characters");
        String name253 = String.join(".", "a".repeat(63), "a".repeat(63), "a".repeat(63), "a".repeat(61));
        assertThat(Hostnames.nameProblem(name253)).isEmpty();
        assertThat(Hostnames.nameProblem(name253 + "a")).contains("longer than 253 characters");
    }

    @Test
    void aPatternsProblemQuotesThePatternAndCutsItShort() {
        assertThat(Hostnames.patternProblem(null)).contains("hostname is empty");
        assertThat(Hostnames.patternProblem("")).contains("hostname is empty");
        assertThat(Hostnames.patternProblem("x".repeat(10_000))).get().asString()
                .hasSizeLessThan(200).contains("...(10000 characters)");
    }

    @Test
    void internationalisedNamesAreToldTheirPunycodeForm() {
        assertThat(Hostnames.patternProblem("münchen.de")).get().asString()
                .endsWith("; write internationalised names in their punycode form: 'xn--mnchen-3ya.de'");
        assertThat(Hostnames.patternProblem("*.Bücher.de")).get().asString()
                .endsWith("punycode form: '*.xn--bcher-kva.de'");
        // No useful punycode form: no hint, only the problem.
        assertThat(Hostnames.patternProblem("a\u00a0b.com")).get().asString().doesNotContain("punycode");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1", "127.0.0.1", "1.2.3", "123", "::1", "2001:db8::1", "::ffff:10.0.0.1", "fe80::1"})
    void ipLiterals(String name) {
        // Resolvers accept "1.2.3" and "123" as IPv4 too, so every all-digit name counts as a literal.
        assertThat(Hostnames.isIpLiteral(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "example.com", "1.2.3.example", "10.0.0.1a", "a10.0.0.1"})
    void notIpLiterals(String name) {
        assertThat(Hostnames.isIpLiteral(name)).isFalse();
    }

    @Property(tries = 1000)
    void normalisingTwiceChangesNothingMoreUnlessTwoDotsEnd(@ForAll String name) {
        String once = Hostnames.normalize(name);

        if (!once.endsWith(".")) {
            assertThat(Hostnames.normalize(once)).isEqualTo(once);
        }
    }

    @Property(tries = 1000)
    void anyTextGetsAnAnswerNeverAnException(@ForAll String text) {
        Hostnames.patternProblem(text);
        Hostnames.nameProblem(text);
        Hostnames.isIpLiteral(text);
        if (Hostnames.isValidName(text)) {
            assertThat(text).matches("[A-Za-z0-9.-]{1,253}");
        }
    }
}
