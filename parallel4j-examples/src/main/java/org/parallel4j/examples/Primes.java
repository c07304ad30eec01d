package org.parallel4j.examples;

/** Parallel Python's classic example: the sum of the primes below a bound, by trial division. */
public final class Primes {
  private Primes() {}

  /** Whether {@code n} is prime. */
  public static boolean isPrime(long n) {
    if (n < 2) {
      return false;
    }
    if (n % 2 == 0) {
      return n == 2;
    }
    for (long f = 3; f * f <= n; f += 2) {
      if (n % f == 0) {
        return false;
      }
    }
    return true;
  }

  /** The sum of the primes below {@code n}: pp's {@code sum_primes(n)}. */
  public static long sumBelow(long n) {
    long sum = 0;
    for (long x = 2; x < n; x++) {
      if (isPrime(x)) {
        sum += x;
      }
    }
    return sum;
  }
}
