package main

const mapPopulate = 0
