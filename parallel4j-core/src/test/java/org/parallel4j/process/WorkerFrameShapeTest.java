package org.parallel4j.process;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.parallel4j.wire.Frames;

/** A worker refuses frames whose fields do not fit, rather than failing a reading thread. */
class WorkerFrameShapeTest {
  private static Frames.Frame task(int slot, int... more) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * more.length + 3).putInt(slot);
    for (int m : more) {
      b.putInt(m);
    }
    return new Frames.Frame(Frames.TASK, 7, b.array());
  }

  @Test
  void wellFormedFramesPass() {
    assertThatCode(() -> WorkerMain.checkShape(task(0, 0))).doesNotThrowAnyException();
    assertThatCode(() -> WorkerMain.checkShape(task(0, 3))).doesNotThrowAnyException();
    assertThatCode(() -> WorkerMain.checkShape(task(ProcessBackend.FUNCTION_SLOTS - 1, 0)))
        .doesNotThrowAnyException();
    assertThatCode(() -> WorkerMain.checkShape(task(Frames.INLINE, 3))).doesNotThrowAnyException();
    assertThatCode(
            () ->
                WorkerMain.checkShape(
                    new Frames.Frame(Frames.TASK_ALONE, 7, ByteBuffer.allocate(9).array())))
        .doesNotThrowAnyException();
    assertThatCode(() -> WorkerMain.checkShape(new Frames.Frame(Frames.DEFINE, 0, new byte[] {1})))
        .doesNotThrowAnyException();
  }

  @Test
  void slotsAndLengthsOutOfRangeAreRefused() {
    for (Frames.Frame bad :
        new Frames.Frame[] {
          task(ProcessBackend.FUNCTION_SLOTS, 0),
          task(-2, 0),
          task(0, 4), // captured values longer than the frame
          task(0, -1),
          new Frames.Frame(Frames.TASK, 1, ByteBuffer.allocate(4).array()), // no captured length
          task(Frames.INLINE, 1000),
          task(Frames.INLINE, -1),
          new Frames.Frame(Frames.TASK, 1, new byte[2]),
          new Frames.Frame(Frames.TASK_ALONE, 1, new byte[2]),
          new Frames.Frame(Frames.TASK_ALONE, 1, ByteBuffer.allocate(4).putInt(-2).array()),
          new Frames.Frame(Frames.DEFINE, ProcessBackend.FUNCTION_SLOTS, new byte[0]),
          new Frames.Frame(Frames.DEFINE, -1, new byte[0])
        }) {
      assertThatThrownBy(() -> WorkerMain.checkShape(bad))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("malformed frame");
    }
  }
}
