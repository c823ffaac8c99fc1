/* Point to point with an "object": rank 0 sends a record to rank 1.
 *
 * The tutorial sends the dict {'a': 7, 'b': 3.14} with mpi4py's lowercase
 * `send`, which pickles it. C's natural equivalent of that dict is a
 * struct; both ranks run the same program, so it is sent as its bytes
 * (MPI_BYTE, sizeof the struct). Rank 1 prints it in the tutorial's form:
 * `On process 1, data is  {'a': 7, 'b': 3.14}`. Needs 2 ranks.
 *
 *   shmpicc -o send_object send_object.c && shmrun -n 2 ./send_object
 */
#include <mpi.h>
#include <stdio.h>

struct data {
    int a;
    double b;
};

int main(int argc, char **argv)
{
    int rank, size;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2) {
        fprintf(stderr, "send_object needs at least 2 ranks, this job has %d: "
                "run it as `shmrun -n 2 ./send_object`\n", size);
        MPI_Finalize();
        return 1;
    }

    if (rank == 0) {
        struct data data = { 7, 3.14 };
        MPI_Send(&data, (int)sizeof data, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
    } else if (rank == 1) {
        struct data data;
        MPI_Recv(&data, (int)sizeof data, MPI_BYTE, 0, 0, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        printf("On process 1, data is  {'a': %d, 'b': %g}\n", data.a, data.b);
    }

    MPI_Finalize();
    return 0;
}
