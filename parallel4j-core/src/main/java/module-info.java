/**
 * parallel4j's core: the job server and its API ({@code org.parallel4j}), parallel loops ({@code
 * org.parallel4j.loops}), shared memory between processes ({@code org.parallel4j.shared}), and the
 * service-provider interface for backends and codecs ({@code org.parallel4j.spi}). The engines
 * (threads, worker processes), the codec and the wire protocol between a server and its worker
 * processes are implementation packages, exported to no one.
 *
 * <p>Worker processes run their JVM with a class path: a server on the module path gives its
 * workers its module path as their class path.
 */
@SuppressWarnings("module") // the qualified export names parallel4j-cluster, built after this
module org.parallel4j {
  requires com.esotericsoftware.kryo;
  requires org.objenesis;
  requires jdk.jfr; // the job server's Flight Recorder events
  requires java.management; // the job server's MBean, with JobServerBuilder.jmx()
  requires jdk.httpserver; // the job server's dashboard, with JobServerBuilder.dashboard(port)

  exports org.parallel4j;
  exports org.parallel4j.spi;
  exports org.parallel4j.loops;
  exports org.parallel4j.shared;

  uses org.parallel4j.spi.ClusterProvider; // nodes(...) and discover() in the builder

  // the cluster ships jobs as the process engine does: encoded by the codec, functions apart
  exports org.parallel4j.codec to
      org.parallel4j.cluster;

  // Kryo makes and fills the codec's records and the JDK's serialized lambdas by reflection
  opens org.parallel4j to
      com.esotericsoftware.kryo;
  opens org.parallel4j.codec to
      com.esotericsoftware.kryo;
  opens org.parallel4j.process to
      com.esotericsoftware.kryo;
}
