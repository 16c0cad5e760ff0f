# play.tst: play, undo, superko, genmove, reg_genmove, kgs-genmove_cleanup,
# gogui-play_sequence, is_legal.

10 play b e5
#? []

11 play w e5
#? ?[illegal move]

12 play b x5
#? ?[invalid color or coordinate]

13 play purple e4
#? ?[invalid color or coordinate]

# vertices are case-insensitive; both colours may play twice in a row
14 play B c3
#? []

15 play BLACK G7
#? []

16 play white pass
#? []

17 play W PASS
#? []

18 list_stones black
#? [G7 E5 C3]

19 undo
#? []

20 undo
#? []

21 undo
#? []

22 list_stones black
#? [E5 C3]

undo
undo
23 undo
#? ?[cannot undo]

# suicide is illegal
play b a2
play b b1
24 play w a1
#? ?[illegal move]

25 is_legal w a1
#? [0]

26 is_legal b a1
#? [1]

# positional superko: the immediate ko recapture repeats the position
clear_board
play b d5
play b e4
play b e6
play w f4
play w f6
play w g5
play w e5
27 play b f5
#? []

28 list_stones white
#? [F6 G5 F4]

29 is_legal w e5
#? [0]

30 play w e5
#? ?[illegal move]

# after a ko threat exchange the recapture is legal again
play w a1
play b a9
31 play w e5
#? []

32 list_stones black
#? [A9 E6 D5 E4]

# undo restores captured stones
33 undo
#? []

34 list_stones black
#? [A9 E6 D5 F5 E4]

undo
undo
undo
35 list_stones white
#? [F6 E5 G5 F4]

# genmove: a legal empty point for either colour, played on the board
clear_board
play b e5
36 genmove w
#? [[A-HJ][1-9]]

37 genmove w
#? [[A-HJ][1-9]]

38 genmove b
#? [[A-HJ][1-9]]

# reg_genmove does not play; the answer is an empty point
39 reg_genmove b
#? [!(E5|pass|resign)]

40 undo
#? []

41 undo
#? []

42 undo
#? []

43 list_stones b
#? [E5]

# reg_genmove on a board with no legal move: pass (2x2, black A1 B2: both white
# points would be suicide)
boardsize 2
play b a1
play b b2
44 reg_genmove w
#? [pass]

45 genmove white
#? [pass]

# gogui-play_sequence: all or nothing
boardsize 9
48 gogui-play_sequence b e5 w c3 b g7
#? []

49 gogui-play_sequence b d4 w e5
#? ?[illegal move]

50 list_stones b
#? [G7 E5]

51 gogui-play_sequence b d4 x e6
#? ?[invalid color or coordinate]

52 list_stones b
#? [G7 E5]
