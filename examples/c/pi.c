/* Computes pi as the integral of 4/(1+x^2) over [0, 1] by the midpoint
 * rule: the intervals are split into one contiguous block per rank, each
 * rank sums its block, and MPI_Reduce with MPI_SUM adds the blocks on
 * rank 0, which prints the value, its error, the rank count and the wall
 * time (the same lines as ../pi.rs). Run it at 1, 2, 4 ... ranks to see how
 * it scales with the cores.
 *
 *   shmpicc -o pi pi.c && shmrun -n 4 ./pi [INTERVALS]
 *
 * INTERVALS defaults to 10000000 (underscores allowed). Prints:
 *
 *   pi is approximately 3.1415926535897..., error 1.20e-14
 *   10000000 intervals on 4 ranks in 0.012345 s
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_INTERVALS 10000000ULL
#define PI 3.14159265358979323846

/* The interval count in `arg` (digits, underscores allowed), or 0. */
static unsigned long long parse_intervals(const char *arg)
{
    unsigned long long n = 0;
    int digits = 0;
    for (const char *c = arg; *c; c++) {
        if (*c == '_')
            continue;
        if (*c < '0' || *c > '9' || n > (~0ULL - 9) / 10)
            return 0;
        n = n * 10 + (unsigned long long)(*c - '0');
        digits++;
    }
    return digits ? n : 0;
}

int main(int argc, char **argv)
{
    unsigned long long intervals = DEFAULT_INTERVALS;
    int rank, size;

    /* Read the argument before init, so that a bad one ends the process
     * before it joins the job. */
    if (argc > 1) {
        intervals = parse_intervals(argv[1]);
        if (intervals == 0) {
            fprintf(stderr, "pi: the number of intervals must be a positive "
                    "integer, not \"%s\"\n", argv[1]);
            return 2;
        }
    }
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    /* Blocks differ by at most one interval. */
    unsigned long long first = (unsigned long long)((long double)intervals * rank / size);
    unsigned long long last = (unsigned long long)((long double)intervals * (rank + 1) / size);
    double h = 1.0 / (double)intervals, sum = 0.0;
    for (unsigned long long i = first; i < last; i++) {
        double x = h * ((double)i + 0.5);
        sum += 4.0 / (1.0 + x * x);
    }
    double mine = h * sum, pi = 0.0;
    MPI_Reduce(&mine, &pi, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    double elapsed = MPI_Wtime() - start;

    if (rank == 0) {
        double error = pi > PI ? pi - PI : PI - pi;
        printf("pi is approximately %.16f, error %.2e\n", pi, error);
        printf("%llu intervals on %d ranks in %.6f s\n", intervals, size, elapsed);
    }

    MPI_Finalize();
    return 0;
}
