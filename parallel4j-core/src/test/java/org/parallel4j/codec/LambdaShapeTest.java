package org.parallel4j.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.Serializable;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parallel4j.Task;

/**
 * A lambda's class apart from its captured values: read them from one instance, make another from
 * them, and it behaves, and serializes, as the first.
 */
class LambdaShapeTest {
  private final int field = 5;

  private int plusField(int x) {
    return x + field;
  }

  @Test
  void aLambdaIsMadeAnewFromWhatItCaptured() throws Exception {
    long big = 1L << 40;
    String name = "n";
    List<Integer> list = List.of(1, 2);
    Task.Fn<Integer, String> fn = x -> name + (x + big) + list;
    LambdaShape shape = LambdaShape.of(fn);
    assertThat(shape).isNotNull();
    assertThat(shape.capturedCount()).isEqualTo(3);
    Object[] captured = shape.captured(fn);
    assertThat(captured).containsExactly(name, big, list);

    captured[0] = "m";
    captured[1] = 7L;
    @SuppressWarnings("unchecked")
    Task.Fn<Integer, String> other = (Task.Fn<Integer, String>) shape.instantiate(captured);
    assertThat(other.call(1)).isEqualTo("m8[1, 2]");
    assertThat(fn.call(1)).isEqualTo("n" + (1 + big) + "[1, 2]");
    @SuppressWarnings("unchecked")
    Task.Fn<Integer, String> inWorker = // as a worker makes it from the lambda it was sent
        (Task.Fn<Integer, String>) LambdaShape.maker(fn).instantiate(captured);
    assertThat(inWorker.call(2)).isEqualTo("m9[1, 2]");
  }

  @Test
  void boundMethodReferencesAndThisCapturesAndNothingCapturedHaveShapes() throws Exception {
    Task.Fn<Integer, Integer> bound = this::plusField; // captures this
    LambdaShape shape = LambdaShape.of(bound);
    assertThat(shape).isNotNull();
    assertThat(shape.captured(bound)).containsExactly(this);

    Task.Fn<Integer, Integer> plain = x -> x + 1;
    assertThat(LambdaShape.of(plain).capturedCount()).isZero();
  }

  @Test
  void whatIsNotASerializableLambdaHasNone() {
    Runnable notSerializable = () -> {};
    assertThat(LambdaShape.of(notSerializable)).isNull();
    assertThat(LambdaShape.of(new Named())).isNull();
    assertThatThrownBy(() -> LambdaShape.maker(new Named()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(Named.class.getName());
  }

  @Test
  void capturedValuesOfTheWrongKindAreRefused() {
    int k = 3;
    Task.Fn<Integer, Integer> fn = x -> x + k;
    LambdaShape shape = LambdaShape.of(fn);
    assertThatThrownBy(() -> shape.instantiate(new Object[] {"three"}))
        .isInstanceOf(ClassCastException.class);
    assertThatThrownBy(() -> shape.instantiate(new Object[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 captured values expected, 0 given");
  }

  @Test
  void throughTheCodecTheLambdaAndItsCapturesAreDecodedApart() throws Exception {
    KryoCodec codec = new KryoCodec();
    Shipment.Cache cache = new Shipment.Cache();
    Shipment first = null;
    for (int i = 0; i < 3; i++) {
      int c = i * 10;
      Task.Fn<Integer, Integer> fn = x -> x + c;
      Shipment s = cache.ship(codec, fn, codec.encode(1));
      assertThat(s.captured()).as("captured values travel apart").isNotNull();
      if (first == null) {
        first = s;
      }
      assertThat(s.function()).as("the lambda itself is encoded once").isSameAs(first.function());
      Object template = codec.decode(s.function().bytes());
      Object[] captured = (Object[]) codec.decode(s.captured());
      @SuppressWarnings("unchecked")
      Task.Fn<Integer, Integer> back =
          (Task.Fn<Integer, Integer>) LambdaShape.maker(template).instantiate(captured);
      assertThat(back.call(1)).isEqualTo(1 + c);
    }
  }

  /**
   * A worker makes its first instances through reflection, then through method handles: the lambdas
   * are the same either side of the switch.
   */
  @Test
  void aWorkerMakesTheSameLambdasBeforeAndAfterItSwitchesToMethodHandles() throws Exception {
    int k = 3;
    Task.Fn<Integer, Integer> fn = x -> x * k;
    LambdaShape.Maker maker = LambdaShape.maker(fn);
    for (int i = 0; i <= LambdaShape.Maker.SWITCH + 10; i++) {
      @SuppressWarnings("unchecked")
      Task.Fn<Integer, Integer> made =
          (Task.Fn<Integer, Integer>) maker.instantiate(new Object[] {i});
      if (made.call(2) != 2 * i) {
        throw new AssertionError("instance " + i + " computes " + made.call(2));
      }
    }
  }

  /** A function that is a class of its own, not a lambda. */
  private static final class Named implements Task.Fn<Integer, Integer>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Integer call(Integer x) {
      return x;
    }
  }
}
