"""The synthetic demo bureau in western Inner Mongolia (蒙西): ``m2c demo``. See docs/demo.md."""
