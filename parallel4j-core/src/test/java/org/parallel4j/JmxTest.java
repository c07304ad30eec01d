package org.parallel4j;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import javax.management.Attribute;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/** A job server's MBean, through the platform MBean server, as JConsole reaches it. */
class JmxTest {
  private final MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();

  private static ObjectName nameOf(JobServer s) throws Exception {
    return new ObjectName("org.parallel4j:type=JobServer,name=" + ObjectName.quote(s.name()));
  }

  @Test
  void theMBeanShowsTheStatsSetsWorkersAndGoesAwayWhenTheServerEnds() throws Exception {
    JobServer server = JobServer.builder().threads(2).name("jmx-test-a").jmx().build();
    ObjectName name = nameOf(server);
    try {
      for (int i = 0; i < 5; i++) {
        assertThat(server.submit(x -> x * 2, i).get(30, SECONDS)).isEqualTo(i * 2);
      }
      assertThat(mbs.getAttribute(name, "Name")).isEqualTo("jmx-test-a");
      assertThat(mbs.getAttribute(name, "State")).isEqualTo("running");
      assertThat(mbs.getAttribute(name, "Completed")).isEqualTo(5L);
      assertThat(mbs.getAttribute(name, "JobsRun")).isEqualTo(5L);
      assertThat(mbs.getAttribute(name, "Active")).isEqualTo(0L);
      assertThat((String[]) mbs.getAttribute(name, "Backends")).containsExactly("threads");
      assertThat((String) mbs.getAttribute(name, "Stats")).contains("jmx-test-a", "completed=5");
      assertThat(mbs.getAttribute(name, "Workers")).isEqualTo(2);
      mbs.setAttribute(name, new Attribute("Workers", 3));
      assertThat(server.workers()).isEqualTo(3);
    } finally {
      server.close();
    }
    assertThat(server.awaitTermination(30, SECONDS)).isTrue();
    assertThat(mbs.isRegistered(name)).as("unregistered at termination").isFalse();
  }

  @Test
  void aSecondServerOfTheSameNameIsRefusedByNameAndNoneRegistersUnlessAsked() throws Exception {
    try (JobServer first = JobServer.builder().threads(1).name("jmx-test-b").jmx().build()) {
      assertThatThrownBy(() -> JobServer.builder().threads(1).name("jmx-test-b").jmx().build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("jmx-test-b");
      assertThat(mbs.isRegistered(nameOf(first))).isTrue();
    }
    try (JobServer plain = JobServer.builder().threads(1).name("jmx-test-c").build()) {
      assertThat(mbs.isRegistered(nameOf(plain))).isFalse();
    }
  }
}
