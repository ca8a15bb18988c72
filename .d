src/userseg.bc: src/userseg.c src/userseg.h src/core/uscore.h

src/userseg.h:

src/core/uscore.h:
