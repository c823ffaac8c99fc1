/*
 * mpio.h: MPI-IO is part of shmpi's mpi.h; this header exists for programs
 * that include <mpio.h>.
 */

#ifndef MPIO_INCLUDE
#define MPIO_INCLUDE

#include "mpi.h"

#endif /* MPIO_INCLUDE */
