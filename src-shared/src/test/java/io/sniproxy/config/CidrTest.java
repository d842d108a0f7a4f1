package io.sniproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Address blocks for trustedProxies: parsed without DNS, always in network form, matched bit by bit. */
class CidrTest {

    @ParameterizedTest
    @CsvSource(textBlock = """
            10.0.0.0/8,               10.0.0.0/8
            192.168.1.7,              192.168.1.7/32
            0.0.0.0/0,                0.0.0.0/0
            fd00::/8,                 fd00::/8
            [fd00::]/8,               fd00::/8
            FD00:0:0:0:0:0:0:0/8,     fd00::/8
            ::/0,                     ::/0
            ::1,                      ::1/128
            2001:db8:0:1::/64,        2001:db8:0:1::/64
            2001:db8::1:0:0:1/128,    2001:db8::1:0:0:1/128
            """)
    void parsesAndWritesTheCanonicalForm(String text, String written) {
        Cidr cidr = Cidr.parse(text).cidr().orElseThrow();

        assertThat(cidr).hasToString(written);
        assertThat(Cidr.parse(written).cidr()).contains(cidr);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/08", "10.0.0.0/-1", "10.0.0/8", "010.0.0.0/8",
            "example.com/8", "localhost", "fd00::/129", "fd00::%eth0/8", "10.0.0.0/8/8", "*"})
    void refusesWhatIsNotABlock(String text) {
        Cidr.Parsed parsed = Cidr.parse(text);

        assertThat(parsed.cidr()).isEmpty();
        assertThat(parsed.problem()).isNotEmpty();
    }

    @Test
    void aBlockWithHostBitsSetIsRefusedWithTheBlockItProbablyMeant() {
        assertThat(Cidr.parse("10.1.2.3/8").problem())
                .isEqualTo("has host bits set; the block is 10.0.0.0/8 (or write 10.1.2.3 alone for just that address)");
        assertThat(Cidr.parse("fd00::1/64").problem()).startsWith("has host bits set; the block is fd00::/64");
        assertThatThrownBy(() -> new Cidr(InetAddress.getByName("10.1.2.3"), 8)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void containsTheAddressesOfTheBlockOnly() throws Exception {
        Cidr ten = Cidr.parse("10.0.0.0/8").cidr().orElseThrow();
        Cidr host = Cidr.parse("127.0.0.2").cidr().orElseThrow();
        Cidr v6 = Cidr.parse("fd00:1::/32").cidr().orElseThrow();
        Cidr odd = Cidr.parse("192.168.0.0/23").cidr().orElseThrow();

        assertThat(ten.contains(InetAddress.getByName("10.255.0.1"))).isTrue();
        assertThat(ten.contains(InetAddress.getByName("11.0.0.1"))).isFalse();
        assertThat(host.contains(InetAddress.getByName("127.0.0.2"))).isTrue();
        assertThat(host.contains(InetAddress.getByName("127.0.0.3"))).isFalse();
        assertThat(v6.contains(InetAddress.getByName("fd00:1:ffff::1"))).isTrue();
        assertThat(v6.contains(InetAddress.getByName("fd00:2::1"))).isFalse();
        assertThat(odd.contains(InetAddress.getByName("192.168.1.255"))).isTrue();
        assertThat(odd.contains(InetAddress.getByName("192.168.2.0"))).isFalse();
        assertThat(ten.contains(InetAddress.getByName("fd00::1"))).as("another family").isFalse();
    }

    @Test
    void anIpv4ClientOnADualStackSocketCountsAsIpv4() throws Exception {
        Cidr ten = Cidr.parse("10.0.0.0/8").cidr().orElseThrow();
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 10;
        mapped[15] = 7;
        // getByAddress keeps a 16-byte array as IPv6 only when it is not IPv4-mapped; either way it must match.
        assertThat(ten.contains(InetAddress.getByAddress(mapped))).isTrue();
        assertThat(ten.contains(java.net.Inet6Address.getByAddress(null, mapped, -1))).isTrue();
    }
}
