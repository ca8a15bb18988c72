-- Settings of userseg
LOAD 'userseg';
SHOW userseg.memory_limit;
SET userseg.memory_limit = '64MB';
SHOW userseg.memory_limit;
-- below the minimum of 64kB
SET userseg.memory_limit = '1kB';
SHOW userseg.progress;
SET userseg.progress = on;
SHOW userseg.progress;
-- the userseg prefix is reserved: a misspelt setting is an error
SET userseg.memory_limt = '1GB';
RESET userseg.memory_limit;
RESET userseg.progress;
