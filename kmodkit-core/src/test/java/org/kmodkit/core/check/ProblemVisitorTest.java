package org.kmodkit.core.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The compiler makes every visitor handle every kind (one abstract method each, no default); this
 * checks the other half, that the wiring is one to one: each kind has its own visit method and its
 * accept calls that one, so no kind can be rendered as another.
 */
class ProblemVisitorTest {
  static final List<Class<?>> KINDS = Arrays.asList(Problem.class.getPermittedSubclasses());

  @Test
  void everyKindOfProblemHasItsOwnVisitMethodAndNoOther() {
    List<Class<?>> visited = Arrays.stream(Problem.Visitor.class.getDeclaredMethods()).map(m -> m.getParameterTypes()[0]).toList();
    assertThat(KINDS).isNotEmpty();
    assertThat(visited).containsExactlyInAnyOrderElementsOf(KINDS);
  }

  @Test
  void everyKindsAcceptCallsTheVisitMethodForItsOwnKind() throws Exception {
    for (Class<?> kind : KINDS) {
      Problem p = blank(kind);
      Problem.Visitor<?> recorder = (Problem.Visitor<?>) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Problem.Visitor.class},
          (proxy, method, args) -> method.getParameterTypes()[0]);
      assertThat(p.accept(recorder)).as(kind.getSimpleName()).isEqualTo(kind);
    }
  }

  /** A record of the kind with every component null, false or zero: accept reads none of them. */
  private static Problem blank(Class<?> kind) throws Exception {
    RecordComponent[] rc = kind.getRecordComponents();
    Class<?>[] types = Arrays.stream(rc).map(RecordComponent::getType).toArray(Class<?>[]::new);
    Object[] args = Arrays.stream(types).map(ProblemVisitorTest::zero).toArray();
    return (Problem) kind.getDeclaredConstructor(types).newInstance(args);
  }

  private static Object zero(Class<?> type) {
    if (type == boolean.class) {
      return false;
    }
    if (type == int.class) {
      return 0;
    }
    return type == long.class ? (Object) 0L : null;
  }
}
