package org.kmodkit.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.kmodkit.core.build.BuildPlan;
import org.kmodkit.core.build.BuildResult;
import org.kmodkit.core.build.DriverSource;
import org.kmodkit.core.check.Problem;
import org.kmodkit.core.verify.BootOutcome;
import org.kmodkit.core.verify.LoadOutcome;
import org.kmodkit.core.verify.UnloadOutcome;

/**
 * The compiler makes every visitor handle every case (one abstract method each, no default); this
 * checks the other half, that the wiring is one to one: each case of a sealed verdict type has its
 * own visit method and its accept calls that one, so no case can be rendered as another.
 */
class VisitorsTest {
  /** Each sealed type whose cases are dispatched, beside its visitor. */
  static final List<Class<?>[]> SEALED = List.of(
      new Class<?>[] {Problem.class, Problem.Visitor.class},
      new Class<?>[] {BootOutcome.class, BootOutcome.Visitor.class},
      new Class<?>[] {LoadOutcome.class, LoadOutcome.Visitor.class},
      new Class<?>[] {UnloadOutcome.class, UnloadOutcome.Visitor.class},
      new Class<?>[] {BuildResult.class, BuildResult.Visitor.class},
      new Class<?>[] {BuildPlan.Item.class, BuildPlan.Item.Visitor.class},
      new Class<?>[] {DriverSource.class, DriverSource.Visitor.class});

  @Test
  void everyCaseOfASealedVerdictHasItsOwnVisitMethodAndNoOther() {
    for (Class<?>[] s : SEALED) {
      List<Class<?>> cases = Arrays.asList(s[0].getPermittedSubclasses());
      List<Class<?>> visited = Arrays.stream(s[1].getDeclaredMethods()).map(m -> m.getParameterTypes()[0]).toList();
      assertThat(cases).as(s[0].getName()).isNotEmpty();
      assertThat(visited).as(s[0].getName()).containsExactlyInAnyOrderElementsOf(cases);
    }
  }

  @Test
  void everyCasesAcceptCallsTheVisitMethodForItsOwnCase() throws Exception {
    for (Class<?>[] s : SEALED) {
      Object recorder = Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {s[1]}, (proxy, method, args) -> method.getParameterTypes()[0]);
      Method accept = s[0].getMethod("accept", s[1]);
      for (Class<?> c : s[0].getPermittedSubclasses()) {
        assertThat(accept.invoke(blank(c), recorder)).as(c.getName()).isEqualTo(c);
      }
    }
  }

  /** A record of the case with every component empty, "x", false or zero: accept reads none of them. */
  private static Object blank(Class<?> c) throws Exception {
    Class<?>[] types = Arrays.stream(c.getRecordComponents()).map(RecordComponent::getType).toArray(Class<?>[]::new);
    Object[] args = Arrays.stream(types).map(VisitorsTest::zero).toArray();
    return c.getDeclaredConstructor(types).newInstance(args);
  }

  private static Object zero(Class<?> type) {
    if (type == boolean.class) {
      return false;
    }
    if (type == int.class) {
      return 0;
    }
    if (type == long.class) {
      return 0L;
    }
    if (type == List.class) {
      return List.of();
    }
    if (type == String.class) {
      return "x";
    }
    return type == Optional.class ? Optional.empty() : null;
  }
}
